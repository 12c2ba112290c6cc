import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { readElfFile } from "./file";
import { ElfError, isStatic } from "./parse";

const repo = fileURLToPath(new URL("../../", import.meta.url));
const KOFFI = `${repo}node_modules/koffi/build/koffi/linux_x64/koffi.node`;

const tmp = mkdtempSync(join(tmpdir(), "tarboot-elf-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe("readElfFile", () => {
  it("/bin/ls: interpreter and needed libraries", () => {
    const info = readElfFile("/bin/ls")!;
    expect(info.interpreter).toBe("/lib64/ld-linux-x86-64.so.2");
    expect(info.needed).toContain("libc.so.6");
    expect(info.machine).toBe(62);
    expect(isStatic(info)).toBe(false);
  });

  it("koffi's addon: needs the C++ runtime and names the loader itself", () => {
    const info = readElfFile(KOFFI)!;
    expect(info.interpreter).toBeUndefined();
    expect(info.needed).toEqual(["libstdc++.so.6", "libm.so.6", "libgcc_s.so.1", "libc.so.6", "ld-linux-x86-64.so.2"]);
    expect(info.soname).toBe("koffi.node");
  });

  it("busybox-static is static", () => {
    const info = readElfFile("/bin/busybox")!;
    expect(isStatic(info)).toBe(true);
  });

  it("null for a script; a damaged file's error names it", () => {
    const script = join(tmp, "script");
    writeFileSync(script, "#!/bin/sh\n");
    expect(readElfFile(script)).toBeNull();
    const cut = join(tmp, "cut");
    writeFileSync(cut, readFileSync("/bin/ls").subarray(0, 100));
    const err = (() => {
      try {
        readElfFile(cut);
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(ElfError);
    expect((err as Error).message).toMatch(new RegExp(`^${cut}: program header table at offset 64 is cut short`));
  });
});
