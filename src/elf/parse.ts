// ELF as far as tarboot needs it, for 32- and 64-bit files in either byte order: what execve looks
// at (class, machine, the program interpreter PT_INTERP) and what the dynamic loader looks at next
// (DT_NEEDED, DT_SONAME, DT_RPATH/DT_RUNPATH). Parsing is pure over a read-at function, so a
// 120 MB executable costs a few small reads.

/** Reads `length` bytes at `offset` (fewer at the end of the file). */
export type ReadAt = (offset: number, length: number) => Uint8Array;

/** What the kernel reads to start a program. */
export interface ElfHeader {
  bits: 32 | 64;
  littleEndian: boolean;
  /** e_machine: 62 x86_64, 183 aarch64, ... (names in machines.ts). A library must match its user's. */
  machine: number;
  /** e_type: 2 executable, 3 shared object (also PIE executables). */
  type: number;
  /** PT_INTERP, e.g. /lib64/ld-linux-x86-64.so.2; absent for static binaries and most libraries. */
  interpreter?: string;
}

/** The header plus what the dynamic loader reads to find the libraries. */
export interface ElfInfo extends ElfHeader {
  /** DT_NEEDED in file order. */
  needed: string[];
  soname?: string;
  /** DT_RPATH split on ':' (only honoured by the loader when there is no DT_RUNPATH). */
  rpath: string[];
  runpath: string[];
  /** Has a PT_DYNAMIC segment (a static-pie does, with no DT_NEEDED). */
  dynamic: boolean;
}

export class ElfError extends Error {
  override name = "ElfError";
}

const EI_NIDENT = 16;
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
/** The kernel's bounds for PT_INTERP (binfmt_elf: at least "x\0", at most PATH_MAX). */
const INTERP_MIN = 2;
const INTERP_MAX = 4096;
/** No sane program header table or dynamic section is larger; a bigger count means a corrupt file. */
const MAX_TABLE_BYTES = 1 << 20;

/** Where the fields are in Elf32_* and Elf64_* structures. */
interface Layout {
  headerSize: number;
  phoff: number;
  phentsize: number;
  phnum: number;
  /** Smallest program header entry: sizeof(ElfN_Phdr). */
  phent: number;
  pOffset: number;
  pVaddr: number;
  pFilesz: number;
  /** sizeof(ElfN_Dyn): a signed tag and a value, each one word. */
  dynent: number;
}

const ELF32: Layout = { headerSize: 52, phoff: 28, phentsize: 42, phnum: 44, phent: 32, pOffset: 4, pVaddr: 8, pFilesz: 16, dynent: 8 };
const ELF64: Layout = { headerSize: 64, phoff: 32, phentsize: 54, phnum: 56, phent: 56, pOffset: 8, pVaddr: 16, pFilesz: 32, dynent: 16 };

interface Segment {
  type: number;
  offset: number;
  vaddr: number;
  filesz: number;
}

/** A parsed header with the means to read the rest of the file in its class and byte order. */
interface Parsed {
  header: ElfHeader;
  segments: Segment[];
  layout: Layout;
  /** An unsigned word (u32 or u64) as a safe integer. */
  word: (v: DataView, o: number) => number;
  /** A signed word (i32 or i64); large values lose precision, which no tag we look for has. */
  sword: (v: DataView, o: number) => number;
}

export function isElf(head: Uint8Array): boolean {
  return head.length >= 4 && head[0] === 0x7f && head[1] === 0x45 && head[2] === 0x4c && head[3] === 0x46;
}

function exact(read: ReadAt, offset: number, length: number, what: string): DataView {
  const bytes = read(offset, length);
  if (bytes.length < length) throw new ElfError(`${what} at offset ${offset} is cut short (file truncated?)`);
  return new DataView(bytes.buffer, bytes.byteOffset, length);
}

function cString(bytes: DataView, start: number, what: string): string {
  const u8 = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const end = u8.indexOf(0, start);
  if (start >= u8.length || end < 0) throw new ElfError(`${what}: string at ${start} is not NUL-terminated inside its table`);
  return Buffer.from(u8.buffer, u8.byteOffset + start, end - start).toString("utf8");
}

function parseHeaders(read: ReadAt): Parsed | null {
  const ident = read(0, ELF64.headerSize);
  if (!isElf(ident)) return null;
  if (ident.length < EI_NIDENT) throw new ElfError("ELF identification at offset 0 is cut short (file truncated?)");
  if (ident[4] !== 1 && ident[4] !== 2) throw new ElfError(`unknown ELF class ${ident[4]}`);
  if (ident[5] !== 1 && ident[5] !== 2) throw new ElfError(`unknown ELF data encoding ${ident[5]}`);
  const bits = ident[4] === 2 ? 64 : 32;
  const le = ident[5] === 1;
  const layout = bits === 64 ? ELF64 : ELF32;
  const u16 = (v: DataView, o: number) => v.getUint16(o, le);
  const u32 = (v: DataView, o: number) => v.getUint32(o, le);
  const word =
    bits === 32
      ? u32
      : (v: DataView, o: number) => {
          const n = v.getBigUint64(o, le);
          if (n > BigInt(Number.MAX_SAFE_INTEGER)) throw new ElfError(`value 0x${n.toString(16)} is out of range`);
          return Number(n);
        };
  const sword = bits === 32 ? (v: DataView, o: number) => v.getInt32(o, le) : (v: DataView, o: number) => Number(v.getBigInt64(o, le));

  if (ident.length < layout.headerSize) throw new ElfError("ELF header at offset 0 is cut short (file truncated?)");
  const hdr = new DataView(ident.buffer, ident.byteOffset, layout.headerSize);
  const phoff = word(hdr, layout.phoff);
  const phentsize = u16(hdr, layout.phentsize);
  const phnum = u16(hdr, layout.phnum);
  if (phnum > 0 && phentsize < layout.phent) throw new ElfError(`program header entry size ${phentsize} is too small`);
  if (phnum * phentsize > MAX_TABLE_BYTES) throw new ElfError(`program header table of ${phnum} entries is implausible`);

  const segments: Segment[] = [];
  if (phnum > 0) {
    const table = exact(read, phoff, phnum * phentsize, "program header table");
    for (let i = 0; i < phnum; i++) {
      const o = i * phentsize;
      segments.push({ type: u32(table, o), offset: word(table, o + layout.pOffset), vaddr: word(table, o + layout.pVaddr), filesz: word(table, o + layout.pFilesz) });
    }
  }

  const header: ElfHeader = { bits, littleEndian: le, machine: u16(hdr, 18), type: u16(hdr, 16) };
  // The first PT_INTERP, checked as binfmt_elf checks it: a file it would refuse is damaged here too.
  const interp = segments.find((s) => s.type === PT_INTERP);
  if (interp) {
    if (interp.filesz < INTERP_MIN || interp.filesz > INTERP_MAX) throw new ElfError(`PT_INTERP of ${interp.filesz} bytes is implausible`);
    const bytes = exact(read, interp.offset, interp.filesz, "PT_INTERP");
    if (bytes.getUint8(interp.filesz - 1) !== 0) throw new ElfError("PT_INTERP is not NUL-terminated");
    header.interpreter = cString(bytes, 0, "PT_INTERP");
  }
  return { header, segments, layout, word, sword };
}

/**
 * Class, byte order, machine, type and interpreter: all execve needs to know whether the kernel
 * would run the file. null when the bytes are not ELF at all; throws ElfError when they are
 * damaged ELF.
 */
export function parseElfHeader(read: ReadAt): ElfHeader | null {
  return parseHeaders(read)?.header ?? null;
}

/** The header and the dynamic section. null when not ELF; throws ElfError for ELF it cannot read. */
export function parseElf(read: ReadAt): ElfInfo | null {
  const p = parseHeaders(read);
  if (!p) return null;
  const info: ElfInfo = { ...p.header, needed: [], rpath: [], runpath: [], dynamic: false };
  const dyn = p.segments.find((s) => s.type === PT_DYNAMIC);
  if (!dyn) return info;
  info.dynamic = true;
  if (dyn.filesz > MAX_TABLE_BYTES) throw new ElfError(`dynamic section of ${dyn.filesz} bytes is implausible`);
  const { dynent } = p.layout;
  const wordSize = dynent / 2;
  const table = exact(read, dyn.offset, dyn.filesz - (dyn.filesz % dynent), "dynamic section");
  const entries: Array<[number, number]> = [];
  let strtab: number | undefined;
  let strsz: number | undefined;
  for (let o = 0; o + dynent <= table.byteLength; o += dynent) {
    const tag = p.sword(table, o);
    if (tag === DT_NULL) break;
    // Only the values of the tags used are converted: others (addresses, flags) may not fit a number.
    if (tag === DT_STRTAB) strtab = p.word(table, o + wordSize);
    else if (tag === DT_STRSZ) strsz = p.word(table, o + wordSize);
    else if (tag === DT_NEEDED || tag === DT_SONAME || tag === DT_RPATH || tag === DT_RUNPATH) entries.push([tag, p.word(table, o + wordSize)]);
  }
  if (entries.length === 0) return info;
  if (strtab === undefined || strsz === undefined) throw new ElfError("dynamic section names libraries but has no DT_STRTAB/DT_STRSZ");
  if (strsz > 64 * MAX_TABLE_BYTES) throw new ElfError(`dynamic string table of ${strsz} bytes is implausible`);
  // DT_STRTAB is a run-time address: find the loaded segment that maps it to find it in the file.
  const at = strtab;
  const size = strsz;
  const load = p.segments.find((s) => s.type === PT_LOAD && s.vaddr <= at && at + size <= s.vaddr + s.filesz);
  if (!load) throw new ElfError(`DT_STRTAB 0x${at.toString(16)} is not inside any PT_LOAD segment`);
  const strings = exact(read, load.offset + (at - load.vaddr), size, "dynamic string table");
  for (const [tag, val] of entries) {
    const s = cString(strings, val, "dynamic string table");
    if (tag === DT_NEEDED) info.needed.push(s);
    else if (tag === DT_SONAME) info.soname = s;
    else if (tag === DT_RPATH) info.rpath.push(...s.split(":").filter((d) => d !== ""));
    else info.runpath.push(...s.split(":").filter((d) => d !== ""));
  }
  return info;
}

/** A whole file in memory as a ReadAt (tests, small files). */
export function bufferReader(buf: Uint8Array): ReadAt {
  return (offset, length) => buf.subarray(offset, offset + length);
}

/** Static in the sense that matters for an initramfs: nothing for a loader to find (static or static-pie). */
export function isStatic(info: ElfInfo): boolean {
  return info.interpreter === undefined && info.needed.length === 0;
}
