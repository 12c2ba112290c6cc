import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseElf, runsHere } from "./elf";

const reader = (buf: Buffer) => (offset: number, length: number) => buf.subarray(offset, offset + length);

/** A minimal 32-bit big-endian ELF (a MIPS-like program) with one PT_INTERP header. */
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

describe("parseElf", () => {
  it("reads a static program: no interpreter", () => {
    const info = parseElf(reader(readFileSync("/bin/busybox")));
    expect(info).toMatchObject({ bits: 64, littleEndian: true });
    expect(info?.interpreter).toBeUndefined();
    expect(runsHere(info!.machine)).toBe(true);
  });

  it("reads a dynamic program's loader", () => {
    const info = parseElf(reader(readFileSync("/usr/bin/ls")));
    expect(info?.interpreter).toMatch(/^\/lib(64)?\/.*ld-linux.*\.so\.\d$/);
  });

  it("reads 32-bit big-endian headers", () => {
    expect(parseElf(reader(elf32be("/lib/ld.so.1")))).toEqual({ bits: 32, littleEndian: false, machine: 8, interpreter: "/lib/ld.so.1" });
  });

  it("says null for what is not ELF and throws on a cut one", () => {
    expect(parseElf(reader(Buffer.from("#!/bin/sh\n")))).toBeNull();
    expect(() => parseElf(reader(elf32be("/lib/ld.so.1").subarray(0, 60)))).toThrow(/truncated/);
  });

  it("knows which machines this kernel runs", () => {
    expect(runsHere(62, "x64")).toBe(true);
    expect(runsHere(3, "x64")).toBe(true);
    expect(runsHere(183, "x64")).toBe(false);
    expect(runsHere(62, "mips")).toBeNull();
  });
});
