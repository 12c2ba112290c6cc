import { linkSync, mkdirSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { tempDir } from "../testing/root-fixtures";
import { mountTmpfs, unmountAll } from "../testing/root-mounts";
import { deleteTree } from "./delete-tree";

let tmp: ReturnType<typeof tempDir>;
let old: string;
beforeEach(() => {
  tmp = tempDir("delete");
  // The old root is RAM-backed, as the initramfs is: sizes in whole pages count exactly.
  old = mountTmpfs(join(tmp.dir, "old"));
});
afterEach(() => {
  unmountAll();
  tmp.cleanup();
});

function file(path: string, bytes: number): void {
  const full = join(old, path);
  mkdirSync(join(full, ".."), { recursive: true });
  writeFileSync(full, Buffer.alloc(bytes, 1));
}

describe("deleteTree", () => {
  it("deletes every file of the old root but never crosses into another mount or the new root", () => {
    file("init", 8192);
    file("lib/modules/6.1/kernel/e1000.ko", 4096);
    file("lib/modules/6.1/modules.dep", 4096);
    linkSync(join(old, "lib/modules/6.1/modules.dep"), join(old, "lib/modules/6.1/modules.dep.hard"));
    mkdirSync(join(old, "empty"));
    mkdirSync(join(old, "etc"));
    // An absolute symlink: deleting it must not touch what it points at.
    const outside = join(tmp.dir, "outside");
    writeFileSync(outside, "keep me");
    symlinkSync(outside, join(old, "etc/link"));
    symlinkSync(join(tmp.dir), join(old, "dirlink"));

    // A mount inside the old root (a leftover mount, like /run before it is moved).
    const mnt = mountTmpfs(join(old, "scratch/mnt"));
    writeFileSync(join(mnt, "canary"), "alive");
    // The new root: a directory on the same filesystem here, kept only because it is skipped.
    file("root/sbin/init", 4096);

    const res = deleteTree(old, { skip: join(old, "root") });

    expect(readFileSync(join(mnt, "canary"), "utf8")).toBe("alive");
    expect(readFileSync(join(old, "root/sbin/init")).length).toBe(4096);
    expect(readFileSync(outside, "utf8")).toBe("keep me");
    expect(readdirSync(tmp.dir).sort()).toEqual(["old", "outside"]);
    expect(readdirSync(old).sort()).toEqual(["root", "scratch"]);
    expect(readdirSync(join(old, "scratch"))).toEqual(["mnt"]);
    expect(res.kept.sort()).toEqual([join(old, "root"), join(old, "scratch/mnt")]);
    // init, e1000.ko, modules.dep, its hard link, two symlinks
    expect(res.files).toBe(6);
    // empty, etc, lib/modules/6.1/kernel, lib/modules/6.1, lib/modules, lib
    expect(res.dirs).toBe(6);
    // Two links to one file free its space once.
    expect(res.bytes).toBe(8192 + 4096 + 4096);
    expect(res.errors).toBe(0);
  });

  it("leaves the root directory itself in place", () => {
    file("a/b/c", 10);
    const res = deleteTree(old);
    expect(readdirSync(old)).toEqual([]);
    expect(res).toMatchObject({ files: 1, dirs: 2 });
  });
});
