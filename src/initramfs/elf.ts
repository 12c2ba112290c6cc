// What the dynamic loader will ask for when it runs an ELF64 file: its interpreter (PT_INTERP),
// the libraries it needs (DT_NEEDED) and where it says to look for them (DT_RPATH/DT_RUNPATH).
// Parsing is pure over a read-at function, so a 120 MB executable costs a few small reads.
import { closeSync, openSync, readSync } from "node:fs";

/** Reads `length` bytes at `offset` (fewer at the end of the file). */
export type ReadAt = (offset: number, length: number) => Uint8Array;

export interface ElfDynamicInfo {
  /** e_machine: 62 x86_64, 183 aarch64, ... A library must match its user's. */
  machine: number;
  littleEndian: boolean;
  /** e_type: 2 executable, 3 shared object (also PIE executables). */
  type: number;
  /** PT_INTERP, e.g. /lib64/ld-linux-x86-64.so.2; absent for static binaries and most libraries. */
  interpreter?: string;
  /** DT_NEEDED in file order. */
  needed: string[];
  soname?: string;
  /** DT_RPATH split on ':' (only honoured by the loader when there is no DT_RUNPATH). */
  rpath: string[];
  runpath: string[];
  /** Has a PT_DYNAMIC segment (a static-pie does, with no DT_NEEDED). */
  dynamic: boolean;
}

const PT_LOAD = 1;
const PT_DYNAMIC = 2;
const PT_INTERP = 3;
const DT_NULL = 0;
const DT_NEEDED = 1;
const DT_STRTAB = 5;
const DT_STRSZ = 10;
const DT_SONAME = 14;
const DT_RPATH = 15;
const DT_RUNPATH = 29;
/** No sane program header table or dynamic section is larger; a bigger count means a corrupt file. */
const MAX_TABLE_BYTES = 1 << 20;

export class ElfError extends Error {
  override name = "ElfError";
}

export function isElfMagic(head: Uint8Array): boolean {
  return head.length >= 4 && head[0] === 0x7f && head[1] === 0x45 && head[2] === 0x4c && head[3] === 0x46;
}

function exact(read: ReadAt, offset: number, length: number, what: string): DataView {
  const bytes = read(offset, length);
  if (bytes.length < length) throw new ElfError(`${what} at offset ${offset} is cut short (file truncated?)`);
  return new DataView(bytes.buffer, bytes.byteOffset, length);
}

function cString(bytes: Uint8Array, start: number, what: string): string {
  const end = bytes.indexOf(0, start);
  if (start >= bytes.length || end < 0) throw new ElfError(`${what}: string at ${start} is not NUL-terminated inside its table`);
  return Buffer.from(bytes.buffer, bytes.byteOffset + start, end - start).toString("utf8");
}

interface Segment {
  type: number;
  offset: number;
  vaddr: number;
  filesz: number;
}

/** null when the bytes are not ELF at all; throws ElfError for ELF it cannot or will not read. */
export function parseElfDynamic(read: ReadAt): ElfDynamicInfo | null {
  const ident = read(0, 64);
  if (!isElfMagic(ident)) return null;
  if (ident[4] === 1) throw new ElfError("32-bit ELF (ELFCLASS32): only 64-bit programs are supported");
  if (ident[4] !== 2) throw new ElfError(`unknown ELF class ${ident[4]}`);
  if (ident[5] !== 1 && ident[5] !== 2) throw new ElfError(`unknown ELF data encoding ${ident[5]}`);
  const le = ident[5] === 1;
  const hdr = exact(read, 0, 64, "ELF header");
  const u16 = (v: DataView, o: number) => v.getUint16(o, le);
  const u32 = (v: DataView, o: number) => v.getUint32(o, le);
  const u64 = (v: DataView, o: number) => {
    const n = v.getBigUint64(o, le);
    if (n > BigInt(Number.MAX_SAFE_INTEGER)) throw new ElfError(`value 0x${n.toString(16)} at header offset ${o} is out of range`);
    return Number(n);
  };
  const type = u16(hdr, 16);
  const machine = u16(hdr, 18);
  const phoff = u64(hdr, 32);
  const phentsize = u16(hdr, 54);
  const phnum = u16(hdr, 56);
  if (phnum > 0 && phentsize < 56) throw new ElfError(`program header entry size ${phentsize} is too small`);
  if (phnum * phentsize > MAX_TABLE_BYTES) throw new ElfError(`program header table of ${phnum} entries is implausible`);

  const segments: Segment[] = [];
  if (phnum > 0) {
    const table = exact(read, phoff, phnum * phentsize, "program header table");
    for (let i = 0; i < phnum; i++) {
      const o = i * phentsize;
      segments.push({ type: u32(table, o), offset: u64(table, o + 8), vaddr: u64(table, o + 16), filesz: u64(table, o + 32) });
    }
  }

  const info: ElfDynamicInfo = { machine, littleEndian: le, type, needed: [], rpath: [], runpath: [], dynamic: false };

  const interp = segments.find((s) => s.type === PT_INTERP);
  if (interp) {
    if (interp.filesz > 4096) throw new ElfError(`PT_INTERP of ${interp.filesz} bytes is implausible`);
    const bytes = read(interp.offset, interp.filesz);
    info.interpreter = cString(bytes, 0, "PT_INTERP");
  }

  const dyn = segments.find((s) => s.type === PT_DYNAMIC);
  if (!dyn) return info;
  info.dynamic = true;
  if (dyn.filesz > MAX_TABLE_BYTES) throw new ElfError(`dynamic section of ${dyn.filesz} bytes is implausible`);
  const table = exact(read, dyn.offset, dyn.filesz - (dyn.filesz % 16), "dynamic section");
  const entries: Array<[number, number]> = [];
  let strtab: number | undefined;
  let strsz: number | undefined;
  for (let o = 0; o + 16 <= table.byteLength; o += 16) {
    const tag = Number(table.getBigInt64(o, le));
    if (tag === DT_NULL) break;
    const val = u64(table, o + 8);
    if (tag === DT_STRTAB) strtab = val;
    else if (tag === DT_STRSZ) strsz = val;
    else if (tag === DT_NEEDED || tag === DT_SONAME || tag === DT_RPATH || tag === DT_RUNPATH) entries.push([tag, val]);
  }
  if (entries.length === 0) return info;
  if (strtab === undefined || strsz === undefined) throw new ElfError("dynamic section names libraries but has no DT_STRTAB/DT_STRSZ");
  if (strsz > 64 * MAX_TABLE_BYTES) throw new ElfError(`dynamic string table of ${strsz} bytes is implausible`);
  // DT_STRTAB is a run-time address: find the loaded segment that maps it to find it in the file.
  const load = segments.find((s) => s.type === PT_LOAD && s.vaddr <= strtab! && strtab! + strsz! <= s.vaddr + s.filesz);
  if (!load) throw new ElfError(`DT_STRTAB 0x${strtab.toString(16)} is not inside any PT_LOAD segment`);
  const strings = read(load.offset + (strtab - load.vaddr), strsz);
  for (const [tag, val] of entries) {
    const s = cString(strings, val, "dynamic string table");
    if (tag === DT_NEEDED) info.needed.push(s);
    else if (tag === DT_SONAME) info.soname = s;
    else if (tag === DT_RPATH) info.rpath.push(...s.split(":").filter((p) => p !== ""));
    else info.runpath.push(...s.split(":").filter((p) => p !== ""));
  }
  return info;
}

/** A whole file in memory as a ReadAt (tests, small files). */
export function bufferReader(buf: Uint8Array): ReadAt {
  return (offset, length) => buf.subarray(offset, offset + length);
}

/** Parses a file on the build host with positioned reads. null when it is not ELF. */
export function readElfFile(path: string): ElfDynamicInfo | null {
  const fd = openSync(path, "r");
  try {
    return parseElfDynamic((offset, length) => {
      const buf = Buffer.alloc(length);
      let got = 0;
      while (got < length) {
        const n = readSync(fd, buf, got, length - got, offset + got);
        if (n === 0) break;
        got += n;
      }
      return buf.subarray(0, got);
    });
  } catch (err) {
    if (err instanceof ElfError) throw new ElfError(`${path}: ${err.message}`, { cause: err });
    throw err;
  } finally {
    closeSync(fd);
  }
}

/** Static in the sense that matters for the initramfs: nothing for a loader to find (static or static-pie). */
export function isStatic(info: ElfDynamicInfo): boolean {
  return info.interpreter === undefined && info.needed.length === 0;
}
