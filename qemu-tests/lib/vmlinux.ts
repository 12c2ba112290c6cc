// Under TCG, booting the ELF vmlinux through its PVH entry skips the bzImage's own decompressor
// (~4 s a boot). The payload's place is in the x86 boot protocol header.
import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { gunzipSync, zstdDecompressSync } from "node:zlib";
import { decodeBuffer } from "../../src/unpack/decompress";

export interface Payload {
  offset: number;
  length: number;
}

/** Where the compressed kernel sits in a bzImage (boot protocol ≥ 2.08: payload_offset/length). */
export function locatePayload(bz: Buffer): Payload {
  if (bz.toString("latin1", 0x202, 0x206) !== "HdrS") throw new Error("not a bzImage (no HdrS boot header)");
  const setupSects = bz[0x1f1] || 4;
  const protectedModeStart = (setupSects + 1) * 512;
  return { offset: protectedModeStart + bz.readUInt32LE(0x248), length: bz.readUInt32LE(0x24c) };
}

// xz and zstd payloads are built "_with_size": the kernel's 4-byte length follows the stream.
const SIZE_APPEND = 4;

function decompress(payload: Buffer): Promise<Buffer> {
  if (payload[0] === 0x1f && payload[1] === 0x8b) return Promise.resolve(gunzipSync(payload));
  if (payload.readUInt32LE(0) === 0xfd2fb528) return Promise.resolve(zstdDecompressSync(payload.subarray(0, -SIZE_APPEND)));
  if (payload.subarray(0, 6).equals(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]))) {
    return decodeBuffer("xz", payload.subarray(0, -SIZE_APPEND));
  }
  throw new Error(`unknown kernel compression (magic ${payload.subarray(0, 4).toString("hex")})`);
}

export async function extractVmlinux(bzImage: string, out: string): Promise<string> {
  const bz = readFileSync(bzImage);
  const { offset, length } = locatePayload(bz);
  const elf = await decompress(bz.subarray(offset, offset + length));
  if (elf.readUInt32BE(0) !== 0x7f454c46) throw new Error(`${bzImage}: payload is not an ELF kernel`);
  writeFileSync(`${out}.tmp`, elf);
  renameSync(`${out}.tmp`, out);
  return out;
}

/** The kernel's vmlinux, extracted once and kept beside its bzImage for every later boot (tests, demo, bench). */
export async function ensureVmlinux(kernel: { vmlinuz: string; version: string }): Promise<string> {
  const out = join(dirname(kernel.vmlinuz), `vmlinux-${kernel.version}`);
  return existsSync(out) ? out : extractVmlinux(kernel.vmlinuz, out);
}
