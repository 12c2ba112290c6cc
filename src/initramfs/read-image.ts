// Files read back out of an initramfs image, as the kernel unpacks it: uncompressed newc segments
// (early microcode goes first this way) and then one compressed segment, which is what
// `tarboot mkinitramfs` writes. For `tarboot check --image`: the baked-in parameters and keys.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { gunzipSync, zstdDecompressSync } from "node:zlib";

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

function decompress(rest: Buffer, path: string): Buffer {
  if (rest.length >= 4 && rest.readUInt32LE(0) === 0xfd2fb528) return zstdDecompressSync(rest);
  if (rest[0] === 0x1f && rest[1] === 0x8b) return gunzipSync(rest);
  if (rest.subarray(0, 6).equals(Buffer.from("fd377a585a00", "hex"))) return execFileSync("xz", ["-dc"], { input: rest, maxBuffer: 1 << 30 });
  throw new Error(`${path}: neither a newc cpio nor zstd, gzip or xz at this point (starts with ${rest.toString("hex", 0, 8)})`);
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
      off = readNewc(image, off, wanted, out, path);
      continue;
    }
    // The compressed segment runs to the end of the file.
    const cpio = decompress(image.subarray(off), path);
    let inner = 0;
    while (inner < cpio.length) {
      if (cpio[inner] === 0) inner++;
      else inner = readNewc(cpio, inner, wanted, out, path);
    }
    break;
  }
  return out;
}
