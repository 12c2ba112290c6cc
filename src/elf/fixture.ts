// Test fixtures: small ELF files laid out by hand, for the classes and byte orders this host has
// no real program of.

export interface SynthElfOptions {
  bits: 32 | 64;
  le: boolean;
  /** e_machine, default 62 (x86_64). */
  machine?: number;
  /** e_type, default 3 (shared object). */
  type?: number;
  interp?: string;
  /** Dynamic entries naming strings (tag, string); no PT_DYNAMIC when absent. */
  dyn?: Array<[number, string]>;
}

/**
 * Header, PT_LOAD (+ PT_DYNAMIC, PT_INTERP), a dynamic section and a string table mapped at a
 * vaddr different from its file offset, as real files have it. 4096 bytes.
 */
export function synthElf(opts: SynthElfOptions): Buffer {
  const { bits, le } = opts;
  const is64 = bits === 64;
  const buf = Buffer.alloc(4096);
  const w16 = (o: number, v: number) => (le ? buf.writeUInt16LE(v, o) : buf.writeUInt16BE(v, o));
  const w32 = (o: number, v: number) => (le ? buf.writeUInt32LE(v, o) : buf.writeUInt32BE(v, o));
  const w64 = (o: number, v: number) => (le ? buf.writeBigUInt64LE(BigInt(v), o) : buf.writeBigUInt64BE(BigInt(v), o));
  const word = is64 ? w64 : w32;
  const ehsize = is64 ? 64 : 52;
  const phent = is64 ? 56 : 32;
  const dynent = is64 ? 16 : 8;
  buf.set([0x7f, 0x45, 0x4c, 0x46, is64 ? 2 : 1, le ? 1 : 2, 1], 0);
  w16(16, opts.type ?? 3);
  w16(18, opts.machine ?? 62);
  word(is64 ? 32 : 28, ehsize); // e_phoff
  w16(is64 ? 54 : 42, phent);

  const phdrs: Array<[number, number, number, number]> = []; // type, offset, vaddr, filesz
  const vbase = 0x400000;
  phdrs.push([1, 0, vbase, buf.length]);
  if (opts.dyn) {
    const strOff = 1024;
    const dynOff = 512;
    let strings = "\0";
    const strIndex = (s: string) => {
      const i = strings.length;
      strings += `${s}\0`;
      return i;
    };
    const dyn: Array<[number, number]> = opts.dyn.map(([tag, s]) => [tag, strIndex(s)]);
    dyn.push([5, vbase + strOff], [10, strings.length], [0, 0]);
    dyn.forEach(([tag, val], i) => {
      word(dynOff + i * dynent, tag);
      word(dynOff + i * dynent + dynent / 2, val);
    });
    buf.write(strings, strOff, "latin1");
    phdrs.push([2, dynOff, vbase + dynOff, dyn.length * dynent]);
  }
  if (opts.interp) {
    buf.write(`${opts.interp}\0`, 2048, "latin1");
    phdrs.push([3, 2048, vbase + 2048, opts.interp.length + 1]);
  }
  w16(is64 ? 56 : 44, phdrs.length);
  phdrs.forEach(([type, off, vaddr, filesz], i) => {
    const o = ehsize + i * phent;
    w32(o, type);
    word(o + (is64 ? 8 : 4), off);
    word(o + (is64 ? 16 : 8), vaddr);
    word(o + (is64 ? 32 : 16), filesz);
  });
  return buf;
}
