// Just enough ELF to know, before exec, whether the kernel would run a file: its machine and the
// program interpreter (the dynamic loader, PT_INTERP) it needs to exist in the same root.

export interface ElfInfo {
  bits: 32 | 64;
  littleEndian: boolean;
  machine: number;
  /** PT_INTERP, e.g. /lib64/ld-linux-x86-64.so.2; absent for a static binary. */
  interpreter?: string;
}

/** Reads `length` bytes at `offset` (fewer at the end of the file). */
export type ReadAt = (offset: number, length: number) => Buffer;

const PT_INTERP = 3;

export const ELF_MACHINES: Record<number, string> = {
  3: "i386",
  8: "mips",
  20: "powerpc",
  21: "ppc64",
  22: "s390",
  40: "arm",
  62: "x86_64",
  183: "aarch64",
  243: "riscv",
  258: "loongarch",
};

/** Machines the running kernel executes natively or in its compat mode, per Node's arch. */
const RUNNABLE: Record<string, number[]> = {
  x64: [62, 3],
  arm64: [183, 40],
  ia32: [3],
  arm: [40],
  riscv64: [243],
  ppc64: [21],
  s390x: [22],
  loong64: [258],
};

/** null when the arch is not one tarboot knows: then the check is left to the kernel. */
export function runsHere(machine: number, arch: string = process.arch): boolean | null {
  const ok = RUNNABLE[arch];
  return ok ? ok.includes(machine) : null;
}

export function isElf(head: Buffer): boolean {
  return head.length >= 4 && head[0] === 0x7f && head[1] === 0x45 && head[2] === 0x4c && head[3] === 0x46;
}

/** null when not an ELF file; throws when the headers are cut short or malformed. */
export function parseElf(read: ReadAt): ElfInfo | null {
  const ident = read(0, 64);
  if (!isElf(ident)) return null;
  const bits = ident[4] === 2 ? 64 : ident[4] === 1 ? 32 : null;
  const le = ident[5] === 1 ? true : ident[5] === 2 ? false : null;
  if (bits === null || le === null || ident.length < (bits === 64 ? 64 : 52)) throw new Error("truncated or unknown ELF header");
  const u16 = (b: Buffer, o: number) => (le ? b.readUInt16LE(o) : b.readUInt16BE(o));
  const u32 = (b: Buffer, o: number) => (le ? b.readUInt32LE(o) : b.readUInt32BE(o));
  const u64 = (b: Buffer, o: number) => Number(le ? b.readBigUInt64LE(o) : b.readBigUInt64BE(o));
  const machine = u16(ident, 18);
  const phoff = bits === 64 ? u64(ident, 32) : u32(ident, 28);
  const phentsize = u16(ident, bits === 64 ? 54 : 42);
  const phnum = u16(ident, bits === 64 ? 56 : 44);
  const info: ElfInfo = { bits, littleEndian: le, machine };
  if (phnum === 0) return info;
  if (phentsize < (bits === 64 ? 56 : 32)) throw new Error("bad program header size");
  const table = read(phoff, phentsize * phnum);
  if (table.length < phentsize * phnum) throw new Error("truncated program headers");
  for (let i = 0; i < phnum; i++) {
    const ph = table.subarray(i * phentsize);
    if (u32(ph, 0) !== PT_INTERP) continue;
    const offset = bits === 64 ? u64(ph, 8) : u32(ph, 4);
    const size = bits === 64 ? u64(ph, 32) : u32(ph, 16);
    if (size === 0 || size > 4096) throw new Error("bad PT_INTERP size");
    const raw = read(offset, size);
    if (raw.length < size) throw new Error("truncated PT_INTERP");
    const nul = raw.indexOf(0);
    info.interpreter = raw.subarray(0, nul < 0 ? raw.length : nul).toString("latin1");
    break;
  }
  return info;
}
