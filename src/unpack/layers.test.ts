// Layers: a second extract() over the same root must leave exactly what a second `tar -x` over
// the same tree leaves (replacements by unlink/rmdir, never writing into an old inode).
import { execFileSync } from "node:child_process";
import { createReadStream, lstatSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compareDirs } from "../testing/tartree";
import { TmpfsScratch, createArchive, gnuExtract } from "../testing/tar-fixtures";
import { extract } from "./index";

let scratch: TmpfsScratch;

beforeAll(() => {
  scratch = new TmpfsScratch("256m");
});
afterAll(() => scratch?.dispose());

function sh(script: string, dir: string): void {
  execFileSync("bash", ["-euo", "pipefail", "-c", script], { cwd: dir, stdio: ["ignore", "ignore", "pipe"] });
}

function layer(name: string, script: string): string {
  const dir = scratch.sub(`src-${name}`);
  sh(script, dir);
  const tar = join(scratch.dir, `${name}.tar`);
  createArchive("gnu", "pax", dir, tar);
  return tar;
}

async function both(name: string, layers: string[]): Promise<{ a: string; b: string; diffs: string[] }> {
  const since = BigInt(Date.now() - 1000) * 1_000_000n;
  const a = scratch.sub(`${name}-A`);
  const b = scratch.sub(`${name}-B`);
  for (const l of layers) gnuExtract(l, a);
  for (const [i, l] of layers.entries()) await extract(createReadStream(l), b, { label: `layer ${i + 1}/${layers.length} ${l}` });
  return { a, b, diffs: compareDirs(a, b, { extractedSince: since }) };
}

describe("layers", () => {
  it("gives a later layer's entries their own group inside setgid directories of another group", async () => {
    // Created inside a setgid directory, a file, symlink or directory takes the directory's group
    // (50 here) unless it is chowned: the later layer's entries are 0:0 and must end so.
    const l1 = layer("sgid-base", `mkdir -p shared mail; chgrp 50 shared mail; chmod 2775 shared mail`);
    const l2 = layer(
      "sgid-top",
      `
mkdir -p shared/sub mail
printf f > shared/f; ln -s f shared/l; printf g > shared/sub/g; printf m > mail/m
chgrp 50 shared; chmod 2775 shared
`,
    );
    // Without its directory entry the layer writes into mail/ as it was left by the first one.
    const l2b = join(scratch.dir, "sgid-top-nodir.tar");
    execFileSync("tar", ["--numeric-owner", "-cf", l2b, "-C", join(scratch.dir, "src-sgid-top"), "mail/m"]);
    const { b, diffs } = await both("sgid", [l1, l2, l2b]);
    expect(diffs).toEqual([]);
    for (const p of ["shared/f", "shared/l", "shared/sub", "shared/sub/g", "mail/m"]) expect(lstatSync(join(b, p)).gid, p).toBe(0);
    expect(lstatSync(join(b, "shared")).gid).toBe(50);
  });

  it("replaces files, symlinks, empty directories and special files as a second tar -x does", async () => {
    const l1 = layer(
      "base",
      `
mkdir -p usr/bin usr/lib d-empty d-to-symlink keep
ln -s usr/bin bin
printf one > f-to-dir; printf two > f-to-link; printf three > f-to-file; chmod 4755 f-to-file
ln -s usr/lib link-to-file; ln -s /etc link-to-dir
printf shared > hl-a; ln hl-a hl-b; ln hl-a hl-c
mkfifo fifo-to-file
printf tool > usr/bin/tool
chown 1000:1000 keep; chmod 0700 keep; touch -d @1500000000 keep usr/bin
`,
    );
    const l2 = layer(
      "top",
      `
mkdir -p f-to-dir/inner usr/bin link-to-dir bin
printf inner > f-to-dir/inner/x
ln -s hl-a f-to-link
printf 'new content' > f-to-file; chmod 0640 f-to-file; chown 7:8 f-to-file
printf now-a-file > link-to-file
printf now-a-file > d-empty
ln -s /usr d-to-symlink
printf 'replaced' > hl-a
printf 'new tool' > bin/newtool
printf fifo-gone > fifo-to-file
mkdir keep; chown 2000:3000 keep; chmod 0751 keep; touch -d @1600000000.5 keep
touch -d @1650000000 bin usr/bin
`,
    );
    const { b, diffs } = await both("replace", [l1, l2]);
    expect(diffs).toEqual([]);
    // The old inode was not written into: hl-b and hl-c keep layer 1's bytes.
    expect(readFileSync(join(b, "hl-b"), "utf8")).toBe("shared");
    expect(readFileSync(join(b, "hl-a"), "utf8")).toBe("replaced");
    // GNU tar (without --keep-directory-symlink) replaces layer 1's bin -> usr/bin with layer 2's
    // directory bin/, and so do we.
    expect(lstatSync(join(b, "bin")).isDirectory()).toBe(true);
    expect(readFileSync(join(b, "bin/newtool"), "utf8")).toBe("new tool");
  });

  it("links a later layer's hardlink to a file an earlier layer made", async () => {
    const l1 = layer("hl1", `printf base > target; mkdir sub; printf other > sub/o`);
    const dir = scratch.sub("src-hl2");
    sh(`printf base > target; ln target link2; ln target sub-link; mkdir sub; ln target sub/o`, dir);
    // Only the links, not their target, go into layer 2 (GNU tar stores the first as a file, so
    // make the first member of the group a name that already exists in layer 1).
    const l2 = join(scratch.dir, "hl2.tar");
    execFileSync("tar", ["--format=pax", "--numeric-owner", "-cf", l2, "-C", dir, "./target", "./link2", "./sub/o"]);
    const { b, diffs } = await both("hardlinks", [l1, l2]);
    expect(diffs).toEqual([]);
    expect(readFileSync(join(b, "sub/o"), "utf8")).toBe("base");
  });

  it("refuses to replace a non-empty directory with a file, naming the layer and the entry", async () => {
    const l1 = layer("ne1", `mkdir -p full; printf x > full/child`);
    const l2 = layer("ne2", `printf file > full`);
    const b = scratch.sub("nonempty-B");
    await extract(createReadStream(l1), b, { label: "layer 1/2 l1" });
    await expect(extract(createReadStream(l2), b, { label: "layer 2/2 http://srv/l2.tar" })).rejects.toThrow(
      /^layer 2\/2 http:\/\/srv\/l2\.tar: cannot replace directory full, which is not empty/,
    );
  });
});
