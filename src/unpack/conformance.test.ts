// Conformance: archives made by GNU tar and bsdtar in every format, extracted by GNU tar (the
// reference) and by extract(), must give identical trees. Needs root.
import { execFileSync } from "node:child_process";
import { createReadStream, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compareDirs } from "../testing/tartree";
import { TmpfsScratch, compressFile, createArchive, gnuExtract, makeFixtureTree, type TarFormat, type TarTool } from "../testing/tar-fixtures";
import { makeTar } from "../testing/tar-write";
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

  it("tar --acls --selinux: ACLs by number and by name (the root's own users, known only later in the archive), default ACLs, labels", async () => {
    const src = scratch.sub("src-acl");
    execFileSync(
      "bash",
      [
        "-euo", "pipefail", "-c",
        `cd "$D"
mkdir shared etc
printf 'n\\n' > shared/by-number && setfacl -m u:4242:r--,g:4343:rw- shared/by-number
printf 'd\\n' > shared/by-name && setfacl -m u:daemon:rwx,g:daemon:r-- shared/by-name
mkfifo shared/fifo && setfacl -m u:4242:rw- shared/fifo
chmod 2770 shared && setfacl -m u:4242:rwx shared && setfacl -d -m u:daemon:rwx,g:4343:r-x shared
printf 'l\\n' > labelled && setfattr -n security.selinux -v system_u:object_r:bin_t:s0 labelled
printf 'daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\\n' > etc/passwd && printf 'daemon:x:1:\\n' > etc/group
touch -d @1700000000 shared/* labelled etc/* etc shared .`,
      ],
      { env: { ...process.env, D: src } },
    );
    // The ACL'd members before etc/passwd: their names can only be resolved at the end.
    const archive = join(scratch.dir, "acl.tar");
    const members = [".", "./shared", "./shared/by-name", "./shared/by-number", "./shared/fifo", "./labelled", "./etc", "./etc/passwd", "./etc/group"];
    execFileSync("tar", ["--acls", "--selinux", "--numeric-owner", "--format=posix", "--no-recursion", "-cf", archive, "-C", src, ...members]);
    const records = readFileSync(archive, "latin1");
    expect(records).toContain("SCHILY.acl.access=user::rw-\nuser:daemon:rwx\n");
    expect(records).toContain("SCHILY.acl.default=");
    expect(records).toContain("RHT.security.selinux=system_u:object_r:bin_t:s0");
    expect(records).not.toContain("SCHILY.xattr.system.posix_acl");

    const a = scratch.sub("acl-A");
    const b = scratch.sub("acl-B");
    gnuExtract(archive, a, ["--acls", "--selinux"]);
    const stats = await extract(createReadStream(archive), b, { label: "test acl" });
    expect(stats.warnings).toEqual([]);
    expect(compareDirs(a, b)).toEqual([]);
    // Not vacuous: the reference has the ACLs and the label.
    const getfacl = (f: string) => execFileSync("getfacl", ["-n", "--omit-header", f], { encoding: "utf8" });
    expect(getfacl(join(b, "shared/by-name"))).toContain("user:1:rwx\ngroup::r--\ngroup:1:r--\nmask::rwx\n");
    expect(getfacl(join(b, "shared"))).toContain("default:user:1:rwx\ndefault:group::rwx\ndefault:group:4343:r-x\n");
    expect(getfacl(join(b, "shared/fifo"))).toContain("user:4242:rw-\n");
    expect(execFileSync("getfattr", ["-n", "security.selinux", "-e", "text", join(b, "labelled")], { encoding: "utf8" })).toContain('security.selinux="system_u:object_r:bin_t:s0"');

    // bsdtar writes the same ACLs in star's form (user:daemon:rwx:1, comma-separated).
    const bsd = join(scratch.dir, "acl-bsd.tar");
    execFileSync("bsdtar", ["--acls", "--format=pax", "-n", "-cf", bsd, "-C", src, ...members]);
    expect(readFileSync(bsd, "latin1")).toMatch(/SCHILY\.acl\.access=[^\n]*user:daemon:rwx:1/);
    const c = scratch.sub("acl-C");
    const d = scratch.sub("acl-D");
    gnuExtract(bsd, c, ["--acls"]);
    expect((await extract(createReadStream(bsd), d, { label: "test bsdtar acl" })).warnings).toEqual([]);
    expect(compareDirs(c, d)).toEqual([]);
    expect(getfacl(join(d, "shared/by-name"))).toContain("user:1:rwx\n");
  });

  it("an ACL naming a user the root never gets is a warning naming the file and the user, the rest of the file as usual", async () => {
    const pax = (records: Record<string, string>) =>
      Object.entries(records)
        .map(([k, v]) => {
          const body = ` ${k}=${v}\n`;
          let n = Buffer.byteLength(body) + 1;
          while (String(n).length + Buffer.byteLength(body) !== n) n = String(n).length + Buffer.byteLength(body);
          return `${n}${body}`;
        })
        .join("");
    const archive = join(scratch.dir, "acl-unknown.tar");
    writeFileSync(
      archive,
      makeTar([
        { name: "PaxHeaders/f", type: "x", data: pax({ "SCHILY.acl.access": "user::rw-\nuser:nobody-here:r--\ngroup::r--\nmask::r--\nother::---\n" }) },
        { name: "f", data: "x\n", mode: 0o640 },
      ]),
    );
    const b = scratch.sub("acl-unknown");
    const stats = await extract(createReadStream(archive), b, { label: "test" });
    expect(stats.warnings).toEqual(["f: cannot set its access ACL: unknown user nobody-here (not in the root's /etc/passwd or /etc/group)"]);
    expect(readFileSync(join(b, "f"), "utf8")).toBe("x\n");
    expect(statSync(join(b, "f")).mode & 0o7777).toBe(0o640);
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
