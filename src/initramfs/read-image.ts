// Files read back out of an initramfs image, as the kernel unpacks it: newc segments, uncompressed
// (early microcode goes first this way) or compressed, one after the other in any order, as
// `tarboot mkinitramfs` writes them and as `cat image.img site.cpio > node.img` appends one. For
// `tarboot check --image`: the baked-in parameters and keys, the last copy of a file winning.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { crc32, gunzipSync, inflateRawSync, zstdDecompressSync } from "node:zlib";

const NEWC = "070701";
const HEADER = 110;
const S_IFMT = 0o170000;
const S_IFREG = 0o100000;

const align4 = (n: number): number => (n + 3) & ~3;

/** Parses one newc archive from `offset`; regular files `wanted` go into `out`. Returns the offset after its trailer. */
function readNewc(buf: Buffer, offset: number, wanted: (name: string) => boolean, out: Map<string, Buffer>, where: string): number {
  let off = offset;
  for (;;) {
    if (off + HEADER > buf.length) throw new Error(`${where}: cpio archive cut short at byte ${off}`);
    if (buf.toString("latin1", off, off + 6) !== NEWC) throw new Error(`${where}: not a newc cpio header at byte ${off}`);
    const field = (i: number) => parseInt(buf.toString("latin1", off + 6 + i * 8, off + 14 + i * 8), 16);
    const mode = field(1);
    const size = field(6);
    const nameSize = field(11);
    const name = buf.toString("utf8", off + HEADER, off + HEADER + nameSize - 1);
    const data = align4(off + HEADER + nameSize);
    const next = align4(data + size);
    if (next > buf.length && name !== "TRAILER!!!") throw new Error(`${where}: ${name} cut short`);
    if (name === "TRAILER!!!") return Math.min(next, buf.length);
    const path = name.replace(/^\.?\/+/, "");
    if ((mode & S_IFMT) === S_IFREG && wanted(path)) out.set(path, Buffer.from(buf.subarray(data, data + size)));
    off = next;
  }
}

/** One compressed stream at the start of `rest`: what it holds and how many bytes of `rest` it took. */
function decompressOne(rest: Buffer, path: string): { data: Buffer; used: number } {
  if (rest.length >= 4 && rest.readUInt32LE(0) === 0xfd2fb528) {
    // One zstd frame; a following frame is the next segment (the kernel reads it the same way).
    const r = zstdDecompressSync(rest, { info: true }) as unknown as { buffer: Buffer; engine: { bytesWritten: number } };
    return { data: r.buffer, used: r.engine.bytesWritten };
  }
  if (rest[0] === 0x1f && rest[1] === 0x8b) {
    const used = gzipMemberLength(rest, path);
    return { data: gunzipSync(rest.subarray(0, used)), used };
  }
  if (rest.subarray(0, 6).equals(XZ_MAGIC)) {
    const used = xzStreamLength(rest, path);
    return { data: execFileSync("xz", ["-dc"], { input: rest.subarray(0, used), maxBuffer: 1 << 30 }), used };
  }
  throw new Error(`${path}: neither a newc cpio nor zstd, gzip or xz at this point (starts with ${rest.toString("hex", 0, 8)})`);
}

const XZ_MAGIC = Buffer.from("fd377a585a00", "hex");

/** The length of the gzip member at the start of `buf` (RFC 1952): its header, deflate data and trailer. */
function gzipMemberLength(buf: Buffer, path: string): number {
  const flags = buf[3];
  let off = 10;
  if (flags & 4) off += 2 + buf.readUInt16LE(off); // FEXTRA
  if (flags & 8) off = buf.indexOf(0, off) + 1; // FNAME
  if (flags & 16) off = buf.indexOf(0, off) + 1; // FCOMMENT
  if (flags & 2) off += 2; // FHCRC
  if (off <= 0 || off > buf.length) throw new Error(`${path}: a gzip header cut short`);
  const r = inflateRawSync(buf.subarray(off), { info: true }) as unknown as { engine: { bytesWritten: number } };
  return off + r.engine.bytesWritten + 8;
}

/**
 * The length of the xz stream at the start of `buf`: up to its footer, found by its magic, its
 * CRC32 and the stream flags it repeats from the header (the format's own check of a footer).
 */
function xzStreamLength(buf: Buffer, path: string): number {
  const flags = buf.subarray(6, 8);
  for (let p = 12; p + 12 <= buf.length; p += 4) {
    if (buf[p + 10] !== 0x59 || buf[p + 11] !== 0x5a) continue;
    if (!buf.subarray(p + 8, p + 10).equals(flags)) continue;
    if (crc32(buf.subarray(p + 4, p + 10)) === buf.readUInt32LE(p)) return p + 12;
  }
  throw new Error(`${path}: an xz stream without its footer (cut short?)`);
}

/** The regular files of the image at `path` whose names (without a leading /) `wanted` accepts; later segments win. */
export function readImageFiles(path: string, wanted: (name: string) => boolean, image: Buffer<ArrayBufferLike> = readFileSync(path)): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  let off = 0;
  while (off < image.length) {
    if (image[off] === 0) {
      off++; // padding between segments
      continue;
    }
    if (image.toString("latin1", off, off + 6) === NEWC) {
      // The kernel takes a cpio only at a multiple of 4 bytes and reads anything else as compressed data.
      if (off & 3) {
        throw new Error(
          `${path}: a cpio archive starts at byte ${off}, not on a 4-byte boundary, and the kernel stops there ("invalid magic at start of compressed archive"): pad what comes before it with zero bytes to a multiple of 4`,
        );
      }
      off = readNewc(image, off, wanted, out, path);
      continue;
    }
    // A compressed segment; whatever follows it (an appended cpio, another compressed one) is read on.
    const { data: cpio, used } = decompressOne(image.subarray(off), path);
    let inner = 0;
    while (inner < cpio.length) {
      if (cpio[inner] === 0) inner++;
      else inner = readNewc(cpio, inner, wanted, out, path);
    }
    off += used;
  }
  return out;
}
