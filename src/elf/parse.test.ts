import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { synthElf } from "./fixture";
import { bufferReader, isStatic, parseElf, parseElfHeader } from "./parse";
import { runsHere } from "./machines";

const repo = fileURLToPath(new URL("../../", import.meta.url));

/** A minimal 32-bit big-endian ELF (a MIPS-like program) with one PT_INTERP header, laid out by hand. */
function elf32be(interp: string): Buffer {
  const buf = Buffer.alloc(52 + 32 + interp.length + 1);
  buf.set([0x7f, 0x45, 0x4c, 0x46, 1, 2, 1], 0);
  buf.writeUInt16BE(2, 16); // ET_EXEC
  buf.writeUInt16BE(8, 18); // EM_MIPS
  buf.writeUInt32BE(52, 28); // e_phoff
  buf.writeUInt16BE(32, 42); // e_phentsize
  buf.writeUInt16BE(1, 44); // e_phnum
  buf.writeUInt32BE(3, 52); // p_type PT_INTERP
  buf.writeUInt32BE(84, 52 + 4); // p_offset
  buf.writeUInt32BE(interp.length + 1, 52 + 16); // p_filesz
  buf.write(interp, 84, "latin1");
  return buf;
}

const file = (path: string) => bufferReader(readFileSync(path));

describe("parseElf on this host's programs", () => {
  it("a static program: no interpreter, nothing needed", () => {
    const info = parseElf(file("/bin/busybox"));
    expect(info).toMatchObject({ bits: 64, littleEndian: true });
    expect(info?.interpreter).toBeUndefined();
    expect(isStatic(info!)).toBe(true);
    expect(runsHere(info!.machine)).toBe(true);
  });

  it("a dynamic program's loader", () => {
    const info = parseElf(file("/usr/bin/ls"));
    expect(info?.interpreter).toMatch(/^\/lib(64)?\/.*ld-linux.*\.so\.\d$/);
    expect(parseElfHeader(file("/usr/bin/ls"))?.interpreter).toBe(info?.interpreter);
  });

  it("real programs of other classes and byte orders (Debian's arch-test)", () => {
    const expected: Record<string, [32 | 64, boolean, number, boolean | null]> = {
      i386: [32, true, 3, true],
      mips: [32, false, 8, false],
      mipsel: [32, true, 8, false],
      powerpc: [32, false, 20, false],
      armhf: [32, true, 40, false],
      s390x: [64, false, 22, false],
      arm64: [64, true, 183, false],
    };
    for (const [arch, [bits, littleEndian, machine, onX64]] of Object.entries(expected)) {
      const info = parseElf(file(`/usr/lib/arch-test/${arch}`));
      expect(info, arch).toEqual({ bits, littleEndian, machine, type: 2, needed: [], rpath: [], runpath: [], dynamic: false });
      expect(runsHere(machine, "x64"), arch).toBe(onX64);
    }
  });

  it("a system library the init opens by name (libzstd)", () => {
    const info = parseElf(file("/lib/x86_64-linux-gnu/libzstd.so.1"))!;
    expect(info.needed).toEqual(["libc.so.6"]);
    expect(info.soname).toBe("libzstd.so.1");
    expect(info.rpath).toEqual([]);
    expect(info.runpath).toEqual([]);
  });
});

describe("parseElf on laid-out files", () => {
  it("reads 32-bit big-endian headers", () => {
    const header = { bits: 32, littleEndian: false, machine: 8, type: 2, interpreter: "/lib/ld.so.1" };
    expect(parseElfHeader(bufferReader(elf32be("/lib/ld.so.1")))).toEqual(header);
    expect(parseElf(bufferReader(elf32be("/lib/ld.so.1")))).toEqual({ ...header, needed: [], rpath: [], runpath: [], dynamic: false });
  });

  it("RPATH, RUNPATH and SONAME, both classes, both byte orders", () => {
    for (const bits of [64, 32] as const) {
      for (const le of [true, false]) {
        const elf = synthElf({
          bits,
          le,
          interp: "/lib/ld-test.so.1",
          dyn: [[1, "liba.so.1"], [15, "/opt/a:$ORIGIN/../lib"], [29, "/opt/b"], [14, "libself.so.3"], [1, "libb.so.2"]],
        });
        expect(parseElf(bufferReader(elf)), `ELF${bits} ${le ? "LSB" : "MSB"}`).toEqual({
          bits, machine: 62, littleEndian: le, type: 3, interpreter: "/lib/ld-test.so.1", needed: ["liba.so.1", "libb.so.2"],
          soname: "libself.so.3", rpath: ["/opt/a", "$ORIGIN/../lib"], runpath: ["/opt/b"], dynamic: true,
        });
      }
    }
  });

  it("a 32-bit i386 program's libraries", () => {
    const elf = synthElf({ bits: 32, le: true, machine: 3, type: 2, interp: "/lib/ld-linux.so.2", dyn: [[1, "libc.so.6"]] });
    const info = parseElf(bufferReader(elf))!;
    expect(info).toMatchObject({ bits: 32, machine: 3, interpreter: "/lib/ld-linux.so.2", needed: ["libc.so.6"], dynamic: true });
    expect(isStatic(info)).toBe(false);
    // A static-pie: a dynamic section, nothing needed.
    expect(isStatic(parseElf(bufferReader(synthElf({ bits: 32, le: true, dyn: [] })))!)).toBe(true);
  });

  it("null for what is not ELF", () => {
    expect(parseElf(bufferReader(Buffer.from("#!/bin/sh\n")))).toBeNull();
    expect(parseElfHeader(bufferReader(Buffer.from("#!/bin/sh\n")))).toBeNull();
    expect(parseElf(bufferReader(Buffer.alloc(0)))).toBeNull();
  });

  it("throws on cut or damaged files, saying where", () => {
    expect(() => parseElf(bufferReader(elf32be("/lib/ld.so.1").subarray(0, 60)))).toThrow(/truncated/);
    expect(() => parseElfHeader(bufferReader(elf32be("/lib/ld.so.1").subarray(0, 60)))).toThrow(/program header table at offset 52 is cut short/);
    expect(() => parseElf(bufferReader(elf32be("/lib/ld.so.1").subarray(0, 40)))).toThrow(/ELF header at offset 0 is cut short/);
    expect(() => parseElf(bufferReader(Buffer.from("\x7fELF", "latin1")))).toThrow(/ELF identification at offset 0 is cut short/);
    const elf = synthElf({ bits: 64, le: true, dyn: [[1, "liba.so.1"]] });
    expect(() => parseElf(bufferReader(elf.subarray(0, 300)))).toThrow(/cut short/);
    const elf32 = synthElf({ bits: 32, le: false, dyn: [[1, "liba.so.1"]] });
    expect(() => parseElf(bufferReader(elf32.subarray(0, 300)))).toThrow(/dynamic section at offset 512 is cut short/);
    const badClass = Buffer.from(elf);
    badClass[4] = 3;
    expect(() => parseElf(bufferReader(badClass))).toThrow(/unknown ELF class 3/);
  });

  it("checks PT_INTERP as the kernel does: 2 to 4096 bytes, NUL-terminated", () => {
    const unterminated = elf32be("/lib/ld.so.1");
    unterminated[unterminated.length - 1] = 0x78;
    expect(() => parseElfHeader(bufferReader(unterminated))).toThrow(/PT_INTERP is not NUL-terminated/);
    const empty = elf32be("/lib/ld.so.1");
    empty.writeUInt32BE(0, 52 + 16);
    expect(() => parseElfHeader(bufferReader(empty))).toThrow(/PT_INTERP of 0 bytes is implausible/);
  });

  it("the header alone does not depend on the dynamic section", () => {
    const elf = synthElf({ bits: 64, le: true, interp: "/lib/ld-test.so.1", dyn: [[1, "liba.so.1"]] });
    elf.writeBigUInt64LE(0x900000n, 512 + 16 + 8); // DT_STRTAB outside every PT_LOAD
    expect(() => parseElf(bufferReader(elf))).toThrow(/DT_STRTAB 0x900000 is not inside any PT_LOAD segment/);
    expect(parseElfHeader(bufferReader(elf))).toEqual({ bits: 64, littleEndian: true, machine: 62, type: 3, interpreter: "/lib/ld-test.so.1" });
  });
});
