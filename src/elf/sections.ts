// ELF sections by name, for relocatable objects such as kernel modules, whose content (.modinfo)
// is found through the section header table rather than program headers. 32- and 64-bit, either
// byte order; the whole file is in memory (a module is at most a few MB).
import { ElfError, isElf } from "./parse";

/** The bytes of the first section called `name`, null when the file has none; throws ElfError for damaged ELF. */
export function sectionBytes(file: Buffer, name: string): Buffer | null {
  if (!isElf(file)) throw new ElfError("not an ELF file");
  if (file.length < 52) throw new ElfError("ELF header is cut short (file truncated?)");
  const bits64 = file[4] === 2;
  const le = file[5] === 1;
  const u16 = (o: number) => (le ? file.readUInt16LE(o) : file.readUInt16BE(o));
  const u32 = (o: number) => (le ? file.readUInt32LE(o) : file.readUInt32BE(o));
  const word = (o: number) => {
    if (!bits64) return u32(o);
    const v = le ? file.readBigUInt64LE(o) : file.readBigUInt64BE(o);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new ElfError(`value 0x${v.toString(16)} is out of range`);
    return Number(v);
  };
  if (bits64 && file.length < 64) throw new ElfError("ELF header is cut short (file truncated?)");
  const shoff = word(bits64 ? 0x28 : 0x20);
  const shentsize = u16(bits64 ? 0x3a : 0x2e);
  const shnum = u16(bits64 ? 0x3c : 0x30);
  const shstrndx = u16(bits64 ? 0x3e : 0x32);
  if (shnum === 0) return null;
  const minEntry = bits64 ? 64 : 40;
  if (shentsize < minEntry || shstrndx >= shnum || shoff + shnum * shentsize > file.length) throw new ElfError("section header table is damaged or cut short");
  const section = (i: number) => {
    const o = shoff + i * shentsize;
    const offset = word(o + (bits64 ? 24 : 16));
    const size = word(o + (bits64 ? 32 : 20));
    const type = u32(o + 4);
    return { nameAt: u32(o), offset, size, nobits: type === 8 };
  };
  const strtab = section(shstrndx);
  if (strtab.offset + strtab.size > file.length) throw new ElfError("section name table is cut short");
  const names = file.subarray(strtab.offset, strtab.offset + strtab.size);
  const want = Buffer.from(`${name}\0`);
  for (let i = 0; i < shnum; i++) {
    const s = section(i);
    if (!names.subarray(s.nameAt, s.nameAt + want.length).equals(want)) continue;
    if (s.nobits) return Buffer.alloc(0);
    if (s.offset + s.size > file.length) throw new ElfError(`section ${name} is cut short (file truncated?)`);
    return file.subarray(s.offset, s.offset + s.size);
  }
  return null;
}
