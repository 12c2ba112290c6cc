// One 512-byte tar header block, read as raw bytes: ustar, old GNU and v7 layouts, octal or
// base-256 numbers. Names are kept as byte strings (latin1, one char per byte) so that names which
// are not valid UTF-8 survive unchanged.

export const BLOCK = 512;

export interface RawHeader {
  name: string;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtime: number;
  typeflag: string;
  linkname: string;
  devmajor: number;
  devminor: number;
  /** "ustar" (POSIX, prefix field holds the name's head), "gnu" (old GNU), or "v7". */
  magic: "ustar" | "gnu" | "v7";
}

export function isZeroBlock(buf: Buffer, off: number): boolean {
  for (let i = off; i < off + BLOCK; i++) if (buf[i] !== 0) return false;
  return true;
}

/** A NUL-terminated field as a byte string. */
export function field(buf: Buffer, off: number, len: number): string {
  let end = buf.indexOf(0, off);
  if (end < 0 || end > off + len) end = off + len;
  return buf.toString("latin1", off, end);
}

/**
 * A numeric field: octal digits (leading spaces allowed, ended by space or NUL), or GNU base-256
 * when the high bit of the first byte is set (negative when the next bit is set too).
 */
export function numeric(buf: Buffer, off: number, len: number): number {
  const first = buf[off];
  if (first & 0x80) {
    const negative = (first & 0x40) !== 0;
    let v = BigInt(first & 0x3f) - (negative ? 0x40n : 0n);
    for (let i = 1; i < len; i++) v = (v << 8n) | BigInt(buf[off + i]);
    if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < -BigInt(Number.MAX_SAFE_INTEGER)) {
      throw new Error(`numeric field out of range (${v})`);
    }
    return Number(v);
  }
  let i = off;
  const end = off + len;
  while (i < end && (buf[i] === 0x20 || buf[i] === 0)) {
    if (buf[i] === 0) return 0;
    i++;
  }
  let v = 0;
  for (; i < end; i++) {
    const c = buf[i];
    if (c === 0x20 || c === 0) break;
    if (c < 0x30 || c > 0x37) throw new Error(`bad octal digit ${JSON.stringify(String.fromCharCode(c))} in a numeric field`);
    v = v * 8 + (c - 0x30);
  }
  return v;
}

/** True when the stored checksum matches the block (as unsigned or, historically, signed bytes). */
export function checksumOk(buf: Buffer, off: number): boolean {
  let stored: number;
  try {
    stored = numeric(buf, off + 148, 8);
  } catch {
    return false;
  }
  // The checksum field itself counts as eight spaces.
  let unsigned = 8 * 0x20;
  for (let i = off; i < off + 148; i++) unsigned += buf[i];
  for (let i = off + 156; i < off + BLOCK; i++) unsigned += buf[i];
  if (stored === unsigned) return true;
  // Some old tars summed signed bytes.
  let signed = unsigned;
  for (let i = off; i < off + BLOCK; i++) if (buf[i] >= 128 && (i - off < 148 || i - off >= 156)) signed -= 256;
  return stored === signed;
}

/** The magic field, from its bytes: "ustar\0" (POSIX), "ustar  \0" (old GNU), anything else v7. */
function magicOf(buf: Buffer, off: number): RawHeader["magic"] {
  const m = off + 257;
  if (buf[m] !== 0x75 || buf[m + 1] !== 0x73 || buf[m + 2] !== 0x74 || buf[m + 3] !== 0x61 || buf[m + 4] !== 0x72) return "v7";
  return buf[m + 5] === 0x20 && buf[m + 6] === 0x20 && buf[m + 7] === 0 ? "gnu" : "ustar";
}

export function parseHeader(buf: Buffer, off: number): RawHeader {
  const magic = magicOf(buf, off);
  let name = field(buf, off, 100);
  if (magic === "ustar") {
    const prefix = field(buf, off + 345, 155);
    if (prefix.length > 0) name = `${prefix}/${name}`;
  }
  const typeByte = buf[off + 156];
  return {
    name,
    mode: numeric(buf, off + 100, 8),
    uid: numeric(buf, off + 108, 8),
    gid: numeric(buf, off + 116, 8),
    size: numeric(buf, off + 124, 12),
    mtime: numeric(buf, off + 136, 12),
    typeflag: typeByte === 0 ? "0" : String.fromCharCode(typeByte),
    linkname: field(buf, off + 157, 100),
    devmajor: magic === "v7" ? 0 : numeric(buf, off + 329, 8),
    devminor: magic === "v7" ? 0 : numeric(buf, off + 337, 8),
    magic,
  };
}

/** Old GNU sparse ('S') header: up to 4 map entries, the real size, and whether extension blocks follow. */
export function parseOldGnuSparse(buf: Buffer, off: number): { map: [number, number][]; realSize: number; extended: boolean } {
  const map = parseSparseEntries(buf, off + 386, 4);
  return { map, realSize: numeric(buf, off + 483, 12), extended: buf[off + 482] !== 0 };
}

/** One old GNU sparse extension block: 21 entries and the "more follow" flag. */
export function parseOldGnuSparseExt(buf: Buffer, off: number): { map: [number, number][]; extended: boolean } {
  return { map: parseSparseEntries(buf, off, 21), extended: buf[off + 504] !== 0 };
}

function parseSparseEntries(buf: Buffer, off: number, count: number): [number, number][] {
  const map: [number, number][] = [];
  for (let i = 0; i < count; i++) {
    const p = off + i * 24;
    if (buf[p] === 0) break;
    map.push([numeric(buf, p, 12), numeric(buf, p + 12, 12)]);
  }
  return map;
}
