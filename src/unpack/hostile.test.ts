// Hostile archives: nothing may be written outside the root. Every test keeps a canary directory
// beside the root and checks it is untouched; "/" cases check the host's own files too.
import { createHash } from "node:crypto";
import { existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, readlinkSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Readable } from "node:stream";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { TmpfsScratch } from "../testing/tar-fixtures";
import { makeTar, type RawMember } from "../testing/tar-write";
import { extract } from "./index";

let scratch: TmpfsScratch;
let root: string;
let canary: string;
let n = 0;

function fingerprint(dir: string): string {
  const h = createHash("sha256");
  const walk = (p: string) => {
    for (const name of readdirSync(p).sort()) {
      const q = join(p, name);
      const st = lstatSync(q);
      h.update(`${q} ${st.mode} ${st.size} ${st.mtimeMs} ${st.nlink}\n`);
      if (st.isDirectory()) walk(q);
      else if (st.isFile()) h.update(readFileSync(q));
    }
  };
  walk(dir);
  return h.digest("hex");
}

function hostFile(path: string): string {
  const st = statSync(path);
  return `${st.ino} ${st.nlink} ${st.mtimeMs} ${st.size}`;
}

beforeAll(() => {
  scratch = new TmpfsScratch("64m");
});
afterAll(() => scratch?.dispose());

let canaryPrint = "";
beforeEach(() => {
  n++;
  canary = scratch.sub(`canary-${n}`);
  writeFileSync(join(canary, "secret"), "do not touch");
  mkdirSync(join(canary, "sub"));
  root = scratch.sub(`root-${n}`);
  canaryPrint = fingerprint(canary);
});

function run(members: RawMember[], label = "layer 1/1 http://srv/evil.tar") {
  return extract(Readable.from([makeTar(members)]), root, { label });
}

function expectCanaryIntact() {
  expect(fingerprint(canary)).toBe(canaryPrint);
}

describe("hostile archives", () => {
  it("strips a leading '/' as GNU tar does and writes inside the root", async () => {
    await run([{ name: `${canary}/secret`, data: "overwritten?" }, { name: "/abs-top", data: "x" }]);
    expectCanaryIntact();
    expect(readFileSync(join(root, canary, "secret"), "utf8")).toBe("overwritten?");
    expect(existsSync(join(root, "abs-top"))).toBe(true);
  });

  it("refuses a name with '..' and names the entry", async () => {
    const rel = `../canary-${n}/secret`;
    await expect(run([{ name: rel, data: "escaped" }])).rejects.toThrow(
      `layer 1/1 http://srv/evil.tar: entry ${rel} escapes the root (contains '..')`,
    );
    expectCanaryIntact();
  });

  it("keeps `etc -> /` then `etc/passwd` inside the root (chroot-like), leaving the host's /etc/passwd alone", async () => {
    const before = hostFile("/etc/passwd");
    await run([
      { name: "etc", type: "2", linkname: "/" },
      { name: "etc/passwd", data: "root::0:0::/:/bin/sh\n" },
    ]);
    expect(hostFile("/etc/passwd")).toBe(before);
    expect(readlinkSync(join(root, "etc"))).toBe("/");
    expect(readFileSync(join(root, "passwd"), "utf8")).toBe("root::0:0::/:/bin/sh\n");
  });

  it("does the same across layers (layer 1 makes the link, layer 2 writes through it)", async () => {
    await run([{ name: "sub", type: "2", linkname: canary }], "layer 1/2");
    const err = await run([{ name: "sub/secret", data: "pwned" }], "layer 2/2").catch((e: Error) => e);
    // The link's target does not exist inside the root: refused, naming the entry.
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(/^layer 2\/2: entry sub\/secret: .* does not exist/);
    expectCanaryIntact();
    // With the target present inside the root, the write lands there.
    mkdirSync(join(root, canary), { recursive: true });
    await run([{ name: "sub/secret", data: "contained" }], "layer 2/2");
    expect(readFileSync(join(root, canary, "secret"), "utf8")).toBe("contained");
    expectCanaryIntact();
  });

  it("resolves a relative link climbing out (`up -> ../../..`) at the root", async () => {
    await run([
      { name: "a/b", type: "5" },
      { name: "a/b/up", type: "2", linkname: "../../../../../.." },
      { name: "a/b/up/landed", data: "inside" },
    ]);
    expect(readFileSync(join(root, "landed"), "utf8")).toBe("inside");
    expectCanaryIntact();
  });

  it("refuses a hardlink to /etc/shadow (it means ROOT/etc/shadow, which is not there)", async () => {
    const before = hostFile("/etc/shadow");
    await expect(run([{ name: "shadow", type: "1", linkname: "/etc/shadow" }])).rejects.toThrow(
      "layer 1/1 http://srv/evil.tar: hardlink shadow: target /etc/shadow does not exist",
    );
    await expect(run([{ name: "shadow", type: "1", linkname: "../../../../etc/shadow" }])).rejects.toThrow(
      /hardlink target \.\.\/\.\.\/\.\.\/\.\.\/etc\/shadow escapes the root/,
    );
    expect(hostFile("/etc/shadow")).toBe(before);
  });

  it("refuses a hardlink whose target path goes through a symlink out of the root", async () => {
    symlinkSync(canary, join(root, "out"));
    await expect(run([{ name: "grab", type: "1", linkname: "out/secret" }])).rejects.toThrow(/hardlink grab: target out\/secret does not exist|does not exist/);
    expectCanaryIntact();
  });

  it("replaces a symlink at the last component instead of writing through it", async () => {
    symlinkSync(join(canary, "secret"), join(root, "victim"));
    await run([{ name: "victim", data: "new file" }]);
    expect(lstatSync(join(root, "victim")).isFile()).toBe(true);
    expect(readFileSync(join(root, "victim"), "utf8")).toBe("new file");
    expectCanaryIntact();
  });

  it("replaces a hardlinked file instead of writing into the shared inode", async () => {
    await run([
      { name: "orig", data: "original" },
      { name: "alias", type: "1", linkname: "orig" },
      { name: "alias", data: "changed" },
    ]);
    expect(readFileSync(join(root, "orig"), "utf8")).toBe("original");
    expect(readFileSync(join(root, "alias"), "utf8")).toBe("changed");
  });

  it("writes a symlink's target verbatim but never follows it for the symlink's own metadata", async () => {
    const before = statSync(join(canary, "secret"));
    await run([{ name: "l", type: "2", linkname: join(canary, "secret"), uid: 4242, gid: 4242, mode: 0o777, mtime: 1000 }]);
    const after = statSync(join(canary, "secret"));
    expect([after.uid, after.gid, after.mtimeMs, after.mode]).toEqual([before.uid, before.gid, before.mtimeMs, before.mode]);
    expect(lstatSync(join(root, "l")).uid).toBe(4242);
    expectCanaryIntact();
  });
});
