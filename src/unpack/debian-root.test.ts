// A real Debian root (debootstrap minbase + systemd, ping, setcap; ~7900 entries) unpacked from
// .tar.zst by extract() must equal GNU tar's unpacking of the same tarball, to the nanosecond and
// the xattr. The tarball is built once by the test setup and cached (several minutes the first time).
import { execFileSync } from "node:child_process";
import { createReadStream } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureDebianRootCompressed, ensureDebianRootTarball } from "../testing/debian-root";
import { TmpfsScratch, gnuExtract } from "../testing/tar-fixtures";
import { compareDirs, snapshotTree } from "../testing/tartree";
import { extract } from "./index";

let scratch: TmpfsScratch;
let tar: string;
let zst: string;

beforeAll(async () => {
  tar = await ensureDebianRootTarball();
  zst = await ensureDebianRootCompressed("zstd");
  scratch = new TmpfsScratch("2g");
}, 1_800_000);
afterAll(() => scratch?.dispose());

describe("debootstrap minbase root", () => {
  it("unpacks from .tar.zst with zero differences from GNU tar", async () => {
    const since = BigInt(Date.now() - 1000) * 1_000_000n;
    const a = scratch.sub("gnu");
    const b = scratch.sub("tarboot");
    gnuExtract(tar, a);
    const stats = await extract(createReadStream(zst, { highWaterMark: 1 << 20 }), b, { label: "layer 1/1 root.tar.zst" });
    expect(stats.compression).toBe("zstd");
    expect(stats.warnings).toEqual([]);
    const treeA = snapshotTree(a);
    expect(treeA.size).toBeGreaterThan(6000);
    // The tree itself shows the hard cases are there: a file capability, devices, setuid.
    expect(treeA.get("usr/bin/ping")?.xattrs["security.capability"]).toBeDefined();
    expect(treeA.get("dev/null")?.rdev).toBe("1,3");
    expect(treeA.get("usr/bin/su")?.mode).toBe("4755");
    expect(compareDirs(a, b, { extractedSince: since })).toEqual([]);
    // And the capability is the kernel's, not just bytes: getcap decodes it.
    expect(execFileSync("getcap", [join(b, "usr/bin/ping")], { encoding: "utf8" })).toContain("cap_net_raw=ep");
  }, 300_000);
});
