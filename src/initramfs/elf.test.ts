import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { bufferReader, isStatic, parseElfDynamic, readElfFile } from "./elf";

const repo = fileURLToPath(new URL("../../", import.meta.url));
const KOFFI = `${repo}node_modules/koffi/build/koffi/linux_x64/koffi.node`;
const LZMA = `${repo}node_modules/lzma-native/prebuilds/linux-x64/node.napi.node`;

/**
 * A minimal ELF64 shared object: header, PT_LOAD + PT_DYNAMIC + optional PT_INTERP, a dynamic section
 * and a string table mapped at a vaddr different from its file offset (as real files have it).
 */
function synthElf(opts: { le: boolean; interp?: string; dyn: Array<[number, string]> }): Buffer {
  const le = opts.le;
  const buf = Buffer.alloc(4096);
  const w16 = (o: number, v: number) => (le ? buf.writeUInt16LE(v, o) : buf.writeUInt16BE(v, o));
  const w32 = (o: number, v: number) => (le ? buf.writeUInt32LE(v, o) : buf.writeUInt32BE(v, o));
  const w64 = (o: number, v: number) => (le ? buf.writeBigUInt64LE(BigInt(v), o) : buf.writeBigUInt64BE(BigInt(v), o));
  buf.set([0x7f, 0x45, 0x4c, 0x46, 2, le ? 1 : 2, 1], 0);
  w16(16, 3);
  w16(18, 62);
  w64(32, 64); // e_phoff
  w16(54, 56);
  const phdrs: Array<[number, number, number, number]> = []; // type, offset, vaddr, filesz
  const strOff = 1024;
  const vbase = 0x400000;
  let strings = "\0";
  const strIndex = (s: string) => {
    const i = strings.length;
    strings += `${s}\0`;
    return i;
  };
  const dynOff = 512;
  const dyn: Array<[number, number]> = opts.dyn.map(([tag, s]) => [tag, strIndex(s)]);
  dyn.push([5, vbase + strOff], [10, strings.length], [0, 0]);
  dyn.forEach(([tag, val], i) => {
    w64(dynOff + i * 16, tag);
    w64(dynOff + i * 16 + 8, val);
  });
  buf.write(strings, strOff, "latin1");
  phdrs.push([1, 0, vbase, 4096], [2, dynOff, vbase + dynOff, dyn.length * 16]);
  if (opts.interp) {
    buf.write(`${opts.interp}\0`, 2048, "latin1");
    phdrs.push([3, 2048, vbase + 2048, opts.interp.length + 1]);
  }
  w16(56, phdrs.length);
  phdrs.forEach(([type, off, vaddr, filesz], i) => {
    const o = 64 + i * 56;
    w32(o, type);
    w64(o + 8, off);
    w64(o + 16, vaddr);
    w64(o + 32, filesz);
  });
  return buf;
}

describe("ELF dynamic info", () => {
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

  it("lzma-native's addon", () => {
    const info = parseElfDynamic(bufferReader(readFileSync(LZMA)))!;
    expect(info.needed).toEqual(["libstdc++.so.6", "libgcc_s.so.1", "libpthread.so.0", "libc.so.6"]);
    expect(info.soname).toBe("lzma_native.node");
    expect(info.rpath).toEqual([]);
    expect(info.runpath).toEqual([]);
  });

  it("busybox-static is static", () => {
    const info = readElfFile("/bin/busybox")!;
    expect(isStatic(info)).toBe(true);
  });

  it("RPATH, RUNPATH and SONAME, both byte orders", () => {
    for (const le of [true, false]) {
      const elf = synthElf({
        le,
        interp: "/lib/ld-test.so.1",
        dyn: [[1, "liba.so.1"], [15, "/opt/a:$ORIGIN/../lib"], [29, "/opt/b"], [14, "libself.so.3"], [1, "libb.so.2"]],
      });
      const info = parseElfDynamic(bufferReader(elf))!;
      expect(info).toEqual({
        machine: 62, littleEndian: le, type: 3, interpreter: "/lib/ld-test.so.1", needed: ["liba.so.1", "libb.so.2"],
        soname: "libself.so.3", rpath: ["/opt/a", "$ORIGIN/../lib"], runpath: ["/opt/b"], dynamic: true,
      });
    }
  });

  it("not ELF, truncated, 32-bit", () => {
    expect(parseElfDynamic(bufferReader(Buffer.from("#!/bin/sh\n")))).toBeNull();
    const elf = synthElf({ le: true, dyn: [[1, "liba.so.1"]] });
    expect(() => parseElfDynamic(bufferReader(elf.subarray(0, 300)))).toThrow(/cut short/);
    const e32 = Buffer.from(elf);
    e32[4] = 1;
    expect(() => parseElfDynamic(bufferReader(e32))).toThrow(/32-bit/);
  });
});
