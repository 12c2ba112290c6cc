import { spawn, execFileSync } from "node:child_process";
import { readFileSync, readdirSync, statSync, writeFileSync, mkdirSync, chmodSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { BootError } from "../console/errors";
import { bootConfig, tempDir } from "../testing/root-fixtures";
import { mountInfo, mountTmpfs, unmountAll } from "../testing/root-mounts";
import { umount, MNT_DETACH } from "../sys/mount";
import { isMountPoint } from "./mountpoint";
import { mountRoot, rootModeProblem, tmpfsOptions, wipeRoot } from "./tmpfs";

describe("tmpfsOptions", () => {
  it("turns rootsize= and rootmode= into tmpfs mount data", () => {
    expect(tmpfsOptions(bootConfig())).toBe("size=50%,mode=0755");
    expect(tmpfsOptions(bootConfig({ rootSize: { kind: "bytes", bytes: 4294967296 } }))).toBe("size=4294967296,mode=0755");
    expect(tmpfsOptions(bootConfig({ rootSize: { kind: "percent", percent: 80 }, rootMode: 0o1777 }))).toBe("size=80%,mode=1777");
    // tmpfs knows whole percents only, and size=0 would lift the limit altogether.
    expect(tmpfsOptions(bootConfig({ rootSize: { kind: "percent", percent: 0.2 } }))).toBe("size=1%,mode=0755");
  });

  it("says why a root mode hurts", () => {
    expect(rootModeProblem(0o755)).toBeNull();
    expect(rootModeProblem(0o1777)).toMatch(/sshd/);
    expect(rootModeProblem(0o700)).toMatch(/drops root/);
  });
});

let tmp: ReturnType<typeof tempDir>;
beforeEach(() => {
  tmp = tempDir("tmpfs");
});
afterEach(() => {
  unmountAll();
  tmp.cleanup();
});

describe("mountRoot", () => {
  it("mounts a tmpfs that allows suid, devices and exec, with the configured size and mode", () => {
    const target = join(tmp.dir, "new/root");
    mountRoot(target, bootConfig({ rootSize: { kind: "bytes", bytes: 32 * 1048576 } }));
    try {
      const info = mountInfo(target, readFileSync("/proc/self/mountinfo", "utf8"));
      expect(info?.fstype).toBe("tmpfs");
      expect(info?.options).not.toContain("nosuid");
      expect(info?.options).not.toContain("nodev");
      expect(info?.options).not.toContain("noexec");
      expect(info?.superOptions).toContain("size=32768k");
      expect(statSync(target).mode & 0o7777).toBe(0o755);
      // A device node in the root works (a nodev mount would refuse to open it).
      execFileSync("mknod", [join(target, "zero"), "c", "1", "5"]);
      expect(execFileSync("head", ["-c", "4", join(target, "zero")])).toEqual(Buffer.alloc(4));
      // And a program on it runs.
      execFileSync("cp", ["/bin/busybox", join(target, "busybox")]);
      expect(execFileSync(join(target, "busybox"), ["echo", "ran"], { encoding: "utf8" })).toBe("ran\n");
    } finally {
      umount(target, MNT_DETACH);
    }
  });

  it("refuses a target that is already a mount", () => {
    const target = mountTmpfs(join(tmp.dir, "root"));
    expect(() => mountRoot(target, bootConfig())).toThrow(BootError);
    expect(() => mountRoot(target, bootConfig())).toThrow(/already a mount point/);
  });
});

describe("wipeRoot", () => {
  it("unmounts the root so nothing of it is left", () => {
    const target = join(tmp.dir, "root");
    mountRoot(target, bootConfig());
    writeFileSync(join(target, "half-unpacked"), "x");
    wipeRoot(target);
    expect(isMountPoint(target)).toBe(false);
    expect(readdirSync(target)).toEqual([]);
  });

  it("detaches a busy root and takes off stacked mounts", async () => {
    const target = join(tmp.dir, "root");
    mountRoot(target, bootConfig());
    mkdirSync(join(target, "inner"));
    mountTmpfs(target); // stacked on top, as a second attempt would
    mkdirSync(join(target, "busy"));
    const child = spawn("sleep", ["30"], { cwd: join(target, "busy"), stdio: "ignore" });
    await new Promise((r) => child.once("spawn", r));
    try {
      wipeRoot(target);
      expect(isMountPoint(target)).toBe(false);
      expect(readdirSync(target)).toEqual([]);
    } finally {
      child.kill();
    }
  });

  it("empties a root directory that was never mounted", () => {
    const target = join(tmp.dir, "root");
    mkdirSync(join(target, "etc"), { recursive: true });
    writeFileSync(join(target, "etc/passwd"), "root:x:0:0::/root:/bin/sh\n");
    chmodSync(join(target, "etc"), 0o755);
    wipeRoot(target);
    expect(readdirSync(target)).toEqual([]);
  });

  it("does nothing for a directory that does not exist", () => {
    expect(() => wipeRoot(join(tmp.dir, "none"))).not.toThrow();
  });
});
