import { chmodSync, copyFileSync, mkdirSync, readFileSync, realpathSync, symlinkSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { BootError } from "../console/errors";
import { tempDir } from "../testing/root-fixtures";
import { checkInit } from "./switch-root";
import { parseElf } from "../elf";
import { resolveInRoot } from "./resolve-in-root";

const BUSYBOX = "/bin/busybox"; // static: no loader needed
const DYNAMIC = "/usr/bin/ls";

let tmp: ReturnType<typeof tempDir>;
let root: string;
beforeEach(() => {
  tmp = tempDir("checkinit");
  root = join(tmp.dir, "root");
  mkdirSync(root);
});
afterEach(() => tmp.cleanup());

function put(path: string, from: string | Buffer, mode = 0o755): void {
  const full = join(root, path);
  mkdirSync(dirname(full), { recursive: true });
  if (typeof from === "string") copyFileSync(from, full);
  else writeFileSync(full, from);
  chmodSync(full, mode);
}

function link(path: string, target: string): void {
  mkdirSync(dirname(join(root, path)), { recursive: true });
  symlinkSync(target, join(root, path));
}

function failure(init: string): string {
  try {
    checkInit(root, init);
  } catch (err) {
    expect(err).toBeInstanceOf(BootError);
    expect((err as BootError).stage).toBe("init");
    return (err as Error).message;
  }
  throw new Error(`checkInit accepted ${init}`);
}

describe("checkInit", () => {
  it("accepts a static executable", () => {
    put("sbin/init", BUSYBOX);
    expect(() => checkInit(root, "/sbin/init")).not.toThrow();
  });

  it("names a missing init and the link chain that led to it", () => {
    expect(failure("/sbin/init")).toBe(`init=/sbin/init: not found in the new root (${root}/sbin/init: /sbin missing)`);
    mkdirSync(join(root, "sbin"));
    expect(failure("/sbin/init")).toBe(`init=/sbin/init: not found in the new root (${root}/sbin/init: missing)`);
    link("sbin/init", "/lib/systemd/systemd");
    expect(failure("/sbin/init")).toBe(`init=/sbin/init: not found in the new root (${root}/sbin/init -> /lib/systemd/systemd: /lib missing)`);
    mkdirSync(join(root, "lib/systemd"), { recursive: true });
    expect(failure("/sbin/init")).toBe(`init=/sbin/init: not found in the new root (${root}/sbin/init -> /lib/systemd/systemd: missing)`);
  });

  it("resolves an absolute symlink inside the new root, not on the host", () => {
    // /bin/sh exists on the host running this test; the new root has no /bin at all.
    link("sbin/init", "/bin/sh");
    expect(failure("/sbin/init")).toBe(`init=/sbin/init: not found in the new root (${root}/sbin/init -> /bin/sh: /bin missing)`);
  });

  it("follows relative symlinks and merged-usr directory links", () => {
    put("usr/lib/systemd/systemd", BUSYBOX);
    link("sbin", "usr/sbin");
    link("lib", "usr/lib");
    link("usr/sbin/init", "../lib/systemd/systemd");
    expect(() => checkInit(root, "/sbin/init")).not.toThrow();
    expect(resolveInRoot(root, "/sbin/init")).toEqual({
      path: "/usr/lib/systemd/systemd",
      steps: ["/sbin/init", "/usr/sbin/init", "/usr/lib/systemd/systemd"],
    });
    // Debian's own chain: /sbin/init -> /lib/systemd/systemd with /lib -> usr/lib.
    link("usr/bin/init2", "/lib/systemd/systemd");
    expect(resolveInRoot(root, "/usr/bin/init2").steps).toEqual(["/usr/bin/init2", "/lib/systemd/systemd", "/usr/lib/systemd/systemd"]);
    expect(() => checkInit(root, "/usr/bin/init2")).not.toThrow();
  });

  it("does not climb out of the new root with ..", () => {
    link("sbin/init", "../../../../../../bin/busybox");
    expect(failure("/sbin/init")).toContain("/bin/busybox: /bin missing");
  });

  it("refuses a file without an execute bit, a directory and a symlink loop", () => {
    put("sbin/init", BUSYBOX, 0o644);
    expect(failure("/sbin/init")).toBe(`init=/sbin/init: not executable in the new root (${root}/sbin/init: mode 0644)`);
    mkdirSync(join(root, "sbin/dir"));
    expect(failure("/sbin/dir")).toContain("not a regular file in the new root");
    link("a", "b");
    link("b", "a");
    expect(failure("/a")).toContain("too many levels of symbolic links");
    expect(failure("sbin/init")).toBe("init=sbin/init: not an absolute path");
  });

  it("checks a script's interpreter inside the new root", () => {
    put("sbin/init", Buffer.from("#!/bin/bash -e\necho hi\n"));
    expect(failure("/sbin/init")).toBe(`init=/sbin/init: its interpreter /bin/bash: not found in the new root (${root}/bin/bash: /bin missing)`);
    put("bin/busybox", BUSYBOX);
    link("bin/bash", "busybox");
    expect(() => checkInit(root, "/sbin/init")).not.toThrow();
    put("sbin/loop", Buffer.from("#!/sbin/loop\n"));
    expect(failure("/sbin/loop")).toContain("too many nested #! interpreters");
    put("sbin/empty", Buffer.from("#!   \n"));
    expect(failure("/sbin/empty")).toContain("its #! line names no interpreter");
  });

  it("checks a dynamic program's loader inside the new root", () => {
    const interp = parseElf((o, n) => readFileSync(DYNAMIC).subarray(o, o + n))?.interpreter as string;
    expect(interp).toMatch(/^\/lib.*ld-linux/);
    put("sbin/init", DYNAMIC);
    expect(failure("/sbin/init")).toMatch(new RegExp(`^init=/sbin/init: its dynamic loader ${interp}: not found in the new root`));
    put(interp.slice(1), realpathSync(interp));
    expect(() => checkInit(root, "/sbin/init")).not.toThrow();
  });

  it("refuses what the kernel could not run", () => {
    put("sbin/text", Buffer.from("just text\n"));
    expect(failure("/sbin/text")).toContain("neither an ELF program nor a #! script");
    const foreign = readFileSync(BUSYBOX);
    foreign.writeUInt16LE(process.arch === "arm64" ? 62 : 183, 18);
    put("sbin/foreign", foreign);
    expect(failure("/sbin/foreign")).toMatch(/built for (aarch64|x86_64), but this machine is/);
    put("sbin/cut", readFileSync(BUSYBOX).subarray(0, 40));
    expect(failure("/sbin/cut")).toContain("a damaged ELF file");
  });
});
