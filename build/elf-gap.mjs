// Cuts a range of zero pages out of an executable's file, leaving that address range unmapped. The
// English ICU subset (icu-data.mjs) leaves ~29 MB of zeros inside .rodata; nothing reads them, but
// the kernel unpacks every byte of the initramfs into RAM at each boot (under emulation ~40 MB/s)
// and the file stays in RAM until switch_root. The load segment holding the range is split in two
// around it, everything after it in the file moves down, and the section headers are dropped (the
// loader needs only the program headers; they would describe the old layout). Pure, on a Buffer.

const PT_LOAD = 1;
const PAGE = 0x1000;
const PHENT = 56;

function readPhdrs(elf) {
  if (elf.readUInt32BE(0) !== 0x7f454c46 || elf[4] !== 2 || elf[5] !== 1) throw new Error("not a 64-bit little-endian ELF file");
  if (elf.readUInt16LE(0x36) !== PHENT) throw new Error("unexpected program header entry size");
  const phoff = Number(elf.readBigUInt64LE(0x20));
  const phnum = elf.readUInt16LE(0x38);
  const list = [];
  for (let i = 0; i < phnum; i++) {
    const at = phoff + i * PHENT;
    list.push({
      type: elf.readUInt32LE(at),
      flags: elf.readUInt32LE(at + 4),
      offset: Number(elf.readBigUInt64LE(at + 8)),
      vaddr: Number(elf.readBigUInt64LE(at + 16)),
      paddr: Number(elf.readBigUInt64LE(at + 24)),
      filesz: Number(elf.readBigUInt64LE(at + 32)),
      memsz: Number(elf.readBigUInt64LE(at + 40)),
      align: Number(elf.readBigUInt64LE(at + 48)),
    });
  }
  return { phoff, list };
}

function writePhdr(elf, at, p) {
  elf.writeUInt32LE(p.type, at);
  elf.writeUInt32LE(p.flags, at + 4);
  elf.writeBigUInt64LE(BigInt(p.offset), at + 8);
  elf.writeBigUInt64LE(BigInt(p.vaddr), at + 16);
  elf.writeBigUInt64LE(BigInt(p.paddr), at + 24);
  elf.writeBigUInt64LE(BigInt(p.filesz), at + 32);
  elf.writeBigUInt64LE(BigInt(p.memsz), at + 40);
  elf.writeBigUInt64LE(BigInt(p.align), at + 48);
}

/**
 * A copy of `elf` without the whole pages of [startVaddr, endVaddr), which must be zeros in the
 * file and inside one read-only load segment. The program header table grows by one entry in
 * place, so the bytes after it must be free (zero), as they are after postject's relocation of it.
 * Returns the new file and the number of bytes cut (0, and `elf` itself, if no whole page is inside).
 */
export function cutZeroRange(elf, startVaddr, endVaddr) {
  const { phoff, list } = readPhdrs(elf);
  const start = Math.ceil(startVaddr / PAGE) * PAGE;
  const end = Math.floor(endVaddr / PAGE) * PAGE;
  if (end <= start) return { elf, cut: 0 };
  const li = list.findIndex((p) => p.type === PT_LOAD && p.vaddr <= start && end <= p.vaddr + p.filesz);
  if (li < 0) throw new Error(`no load segment holds 0x${start.toString(16)}-0x${end.toString(16)} in the file`);
  const load = list[li];
  if (load.flags & 2) throw new Error("the range is in a writable segment");
  if (load.align > PAGE) throw new Error(`segment alignment 0x${load.align.toString(16)} is more than a page`);
  const from = load.offset + (start - load.vaddr);
  const to = load.offset + (end - load.vaddr);
  const cut = to - from;
  const dirty = notZero(elf, from, to);
  if (dirty >= 0) throw new Error(`byte at file offset 0x${dirty.toString(16)} is not zero`);
  for (const p of list) {
    if (p !== load && p.offset < to && from < p.offset + p.filesz) throw new Error(`segment type ${p.type} at 0x${p.offset.toString(16)} overlaps the range`);
    // Moved down by `cut`, a segment keeps offset = address modulo its alignment only up to a page.
    if (p.type === PT_LOAD && p.offset >= to && cut % p.align !== 0) throw new Error(`a later load segment is aligned to 0x${p.align.toString(16)}`);
  }
  const tableEnd = phoff + list.length * PHENT;
  if (phoff + (list.length + 1) * PHENT > from || notZero(elf, tableEnd, tableEnd + PHENT) >= 0) {
    throw new Error("no room after the program header table for one more entry");
  }
  const out = Buffer.concat([elf.subarray(0, from), elf.subarray(to)]);
  const before = { ...load, filesz: from - load.offset, memsz: from - load.offset };
  const after = { ...load, offset: from, vaddr: end, paddr: load.paddr + (end - load.vaddr), filesz: load.filesz - (to - load.offset), memsz: load.memsz - (to - load.offset) };
  const moved = list.map((p) => (p.offset >= to ? { ...p, offset: p.offset - cut } : p));
  const phdrs = [...moved.slice(0, li), before, after, ...moved.slice(li + 1)];
  phdrs.forEach((p, i) => writePhdr(out, phoff + i * PHENT, p));
  out.writeUInt16LE(phdrs.length, 0x38);
  // Section headers (at the end of the file) would describe the old layout: none is better.
  out.writeBigUInt64LE(0n, 0x28);
  out.writeUInt16LE(0, 0x3c);
  out.writeUInt16LE(0, 0x3e);
  return { elf: out, cut };
}

/** Offset of the first non-zero byte in [from, to), or -1. */
function notZero(buf, from, to) {
  for (let i = from; i < to; i++) if (buf[i] !== 0) return i;
  return -1;
}
