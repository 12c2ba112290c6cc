import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { mount } from "../sys/mount";
import { tempDir } from "../testing/root-fixtures";
import { mountTmpfs, unmountAll } from "../testing/root-mounts";
import { isMountPoint, isRamBacked } from "./mountpoint";

let tmp: ReturnType<typeof tempDir>;
beforeEach(() => {
  tmp = tempDir("mountpoint");
});
afterEach(() => {
  unmountAll();
  tmp.cleanup();
});

describe("mount facts", () => {
  it("tells a mount point from a plain directory, and / is one", () => {
    const m = mountTmpfs(join(tmp.dir, "m"));
    mkdirSync(join(m, "sub"));
    expect(isMountPoint(m)).toBe(true);
    expect(isMountPoint(join(m, "sub"))).toBe(false);
    expect(isMountPoint(tmp.dir)).toBe(false);
    expect(isMountPoint("/")).toBe(true);
  });

  it("knows ramfs (the initramfs) and tmpfs from disk filesystems", () => {
    const t = mountTmpfs(join(tmp.dir, "t"));
    // ramfs, as the kernel's rootfs is when root= is given; mountTmpfs's cleanup detaches it too.
    const r = mountTmpfs(join(tmp.dir, "r"));
    mount("ramfs", r, "ramfs", 0, null);
    expect(isRamBacked(t)).toEqual({ ok: true, type: "tmpfs" });
    expect(isRamBacked(r)).toEqual({ ok: true, type: "ramfs" });
    expect(isRamBacked(tmp.dir).ok).toBe(false);
  });
});
