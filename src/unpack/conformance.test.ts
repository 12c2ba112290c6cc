// Conformance: archives made by GNU tar and bsdtar in every format, extracted by GNU tar (the
// reference) and by extract(), must give identical trees. Needs root.
import { execFileSync } from "node:child_process";
import { createReadStream, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compareDirs } from "../testing/tartree";
import { TmpfsScratch, compressFile, createArchive, gnuExtract, makeFixtureTree, type TarFormat, type TarTool } from "../testing/tar-fixtures";
import { extract } from "./index";

let scratch: TmpfsScratch;
let srcFull: string;
let srcUstar: string;

beforeAll(() => {
  scratch = new TmpfsScratch("1g");
  srcFull = scratch.sub("src-full");
  srcUstar = scratch.sub("src-ustar");
  makeFixtureTree(srcFull, "full");
  makeFixtureTree(srcUstar, "ustar");
});

afterAll(() => scratch?.dispose());

async function roundTrip(archive: string, name: string, compressed = archive): Promise<string[]> {
  const since = BigInt(Date.now() - 1000) * 1_000_000n;
  const a = scratch.sub(`${name}-A`);
  const b = scratch.sub(`${name}-B`);
  gnuExtract(archive, a);
  const stats = await extract(createReadStream(compressed), b, { label: `test ${name}` });
  expect(stats.warnings).toEqual([]);
  expect(stats.entries).toBeGreaterThan(10);
  return compareDirs(a, b, { extractedSince: since });
}

const cases: [TarTool, TarFormat][] = [
  ["gnu", "gnu"],
  ["gnu", "pax"],
  ["gnu", "ustar"],
  ["gnu", "oldgnu"],
  ["gnu", "posix-sparse-0.0"],
  ["gnu", "posix-sparse-0.1"],
  ["gnu", "posix-sparse-1.0"],
  ["bsdtar", "pax"],
  ["bsdtar", "ustar"],
  ["bsdtar", "gnu"],
];

describe("extract() matches GNU tar", () => {
  for (const [tool, format] of cases) {
    it(`${tool} --format=${format}`, async () => {
      const src = format === "ustar" ? srcUstar : srcFull;
      const name = `${tool}-${format}`;
      const archive = join(scratch.dir, `${name}.tar`);
      createArchive(tool, format, src, archive);
      expect(await roundTrip(archive, name)).toEqual([]);
    });
  }

  it("decodes multi-block xz (xz -T2) in parallel, and concatenated xz streams", async () => {
    const archive = join(scratch.dir, "mb.tar");
    createArchive("gnu", "pax", srcFull, archive);
    const xz = compressFile(archive, "xz", ["-T2", "--block-size=65536"]);
    expect(await roundTrip(archive, "mb-xz", xz)).toEqual([]);
    // Two streams back to back (with stream padding between), as `cat a.xz b.xz` makes.
    const bytes = readFileSync(archive);
    const half = 512 * Math.floor(bytes.length / 1024);
    const a = execFileSync("xz", ["-T2", "--block-size=20000", "-c"], { input: bytes.subarray(0, half) });
    const b = execFileSync("xz", ["-T2", "--block-size=20000", "-c"], { input: bytes.subarray(half) });
    const cat = join(scratch.dir, "cat.tar.xz");
    writeFileSync(cat, Buffer.concat([a, Buffer.alloc(8), b]));
    expect(await roundTrip(archive, "cat-xz", cat)).toEqual([]);
  });

  it("gives every mode exactly under a umask that masks some of them (GNU tar -p ignores it)", async () => {
    // The fixture has modes with group and other write bits (0666, 0777, 1777...) that a file
    // opened with its own mode under umask 077 would not get.
    const archive = join(scratch.dir, "umask.tar");
    createArchive("gnu", "pax", srcFull, archive);
    const old = process.umask(0o077);
    try {
      expect(await roundTrip(archive, "umask")).toEqual([]);
    } finally {
      process.umask(old);
    }
  });

  for (const kind of ["gzip", "zstd", "xz", "bzip2"] as const) {
    it(`detects ${kind} by its magic bytes (no file name involved)`, async () => {
      const archive = join(scratch.dir, `c-${kind}.tar`);
      createArchive("gnu", "pax", srcFull, archive);
      const compressed = compressFile(archive, kind);
      expect(await roundTrip(archive, `c-${kind}`, compressed)).toEqual([]);
    });
  }
});
