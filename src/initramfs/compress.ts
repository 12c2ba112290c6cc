// Compressing the archive for the kernel's initramfs unpacker, deterministically: same bytes in,
// same bytes out, whatever machine or core count builds it.
//
// - zstd: node:zlib at level 19 with the multithreaded encoder, whose output does not depend on
//   the number of workers (only on the parameters); window 8 MiB, so early boot allocates little.
//   Node's streaming zstd cannot be used: with workers it fails ("stream.push() after EOF",
//   nodejs/node#59899: a worker holding input back reads as end of stream), and end() with writes
//   still queued appends an empty frame (nodejs/node#66078), which would make the bytes depend on
//   timing. The one-call async zstdCompress() is no way out either: with workers it returns an
//   empty buffer for large inputs (seen on Node 24.21). zstdCompressSync() is correct, so the
//   archive is compressed in one synchronous call on a worker thread, keeping the caller's event
//   loop free; single-threaded streaming would take twice as long or more for ~140 MB.
// - xz: the system's liblzma (src/sys/xz.ts) with --check=crc32 (the kernel's xz decoder rejects
//   CRC64 and SHA-256 streams) and the multithreaded encoder with a fixed block size.
// - gzip: node:zlib level 9; Node's gzip header carries no name and mtime 0.
import { closeSync, createWriteStream, openSync, writeSync } from "node:fs";
import { rename, rm, stat, writeFile } from "node:fs/promises";
import { availableParallelism } from "node:os";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { Worker } from "node:worker_threads";
import { constants, createGzip, zstdCompressSync } from "node:zlib";
import { LZMA_CHECK_CRC32, XzEncoder } from "../sys/xz";
import { pumpNative } from "../unpack/native-pump";

export type Compression = "zstd" | "xz" | "gzip";
export const COMPRESSIONS: readonly Compression[] = ["zstd", "xz", "gzip"];

/** The xz MT encoder's default for preset 6 (3 x 8 MiB dictionary), fixed so the output never varies. */
export const XZ_BLOCK_SIZE = 24 << 20;

export function isCompression(value: string): value is Compression {
  return (COMPRESSIONS as readonly string[]).includes(value);
}

export interface CompressorOptions {
  /** Encoder threads, default one per CPU (at most 8); the output is the same for any count. */
  threads?: number;
  /** zstd 1..19 (default 19), xz 0..9 (default 6), gzip 1..9 (default 9): lower is faster and bigger. */
  level?: number;
}

/**
 * The levels each format allows. zstd stops at 19: --ultra levels use windows up to 128 MiB,
 * which the kernel would have to allocate while unpacking.
 */
export const LEVELS: Record<Compression, { min: number; max: number; default: number }> = {
  zstd: { min: 1, max: 19, default: 19 },
  xz: { min: 0, max: 9, default: 6 },
  gzip: { min: 1, max: 9, default: 9 },
};

export function checkLevel(kind: Compression, level: number | undefined): number {
  const l = LEVELS[kind];
  if (level === undefined) return l.default;
  if (!Number.isInteger(level) || level < l.min || level > l.max) throw new Error(`compression level ${level} for ${kind}: expected ${l.min}..${l.max}`);
  return level;
}

function threadCount(opts: CompressorOptions): number {
  return Math.max(1, opts.threads ?? Math.min(availableParallelism(), 8));
}

export function zstdParams(opts: CompressorOptions = {}): Record<number, number> {
  return {
    [constants.ZSTD_c_compressionLevel]: checkLevel("zstd", opts.level),
    [constants.ZSTD_c_checksumFlag]: 1,
    // Any nbWorkers >= 1 gives the same bytes; 0 (single-threaded) would give others.
    [constants.ZSTD_c_nbWorkers]: threadCount(opts),
  };
}

/** Compresses `source` to the file `path` with liblzma's multithreaded encoder. */
async function writeXz(source: AsyncIterable<Uint8Array>, path: string, opts: CompressorOptions): Promise<void> {
  const enc = new XzEncoder({ preset: checkLevel("xz", opts.level), check: LZMA_CHECK_CRC32, threads: threadCount(opts), blockSize: XZ_BLOCK_SIZE });
  const fd = openSync(path, "w", 0o644);
  try {
    await pumpNative(Readable.from(source, { objectMode: false }), enc, (b) => {
      for (let off = 0; off < b.length; ) off += writeSync(fd, b, off, b.length - off);
    });
  } finally {
    closeSync(fd);
  }
}

// Plain CommonJS evaluated by the worker, so it survives bundling unchanged.
const ZSTD_WORKER_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
const { zstdCompressSync } = require("node:zlib");
const out = zstdCompressSync(new Uint8Array(workerData.input), { params: workerData.params });
const result = out.buffer.slice(out.byteOffset, out.byteOffset + out.byteLength);
parentPort.postMessage(result, [result]);
`;

/** zstdCompressSync on a worker thread; the input's memory moves to the worker rather than being copied. */
export function zstdInWorker(input: Buffer, params: Record<number, number>): Promise<Buffer> {
  const own = input.byteOffset === 0 && input.byteLength === input.buffer.byteLength && input.buffer instanceof ArrayBuffer;
  const data = own ? (input.buffer as ArrayBuffer) : input.buffer.slice(input.byteOffset, input.byteOffset + input.byteLength);
  return new Promise((resolve, reject) => {
    let result: Buffer | undefined;
    const worker = new Worker(ZSTD_WORKER_SOURCE, { eval: true, workerData: { input: data, params }, transferList: [data as ArrayBuffer] });
    worker.once("message", (ab: ArrayBuffer) => {
      result = Buffer.from(ab);
    });
    worker.once("error", reject);
    worker.once("exit", (code) => {
      if (result) resolve(result);
      else reject(new Error(`zstd compression worker exited with code ${code} and no result`));
    });
  });
}

export interface CompressedFile {
  path: string;
  unpackedBytes: number;
  compressedBytes: number;
}

/**
 * Compresses `source` into `path`, through a temporary file renamed into place at the end, so a
 * failed build never leaves a truncated image where a boot loader would pick it up.
 */
export async function writeCompressed(source: AsyncIterable<Uint8Array>, kind: Compression, path: string, opts: CompressorOptions = {}): Promise<CompressedFile> {
  checkLevel(kind, opts.level);
  let unpackedBytes = 0;
  async function* counted(): AsyncGenerator<Uint8Array> {
    for await (const chunk of source) {
      unpackedBytes += chunk.length;
      yield chunk;
    }
  }
  const tmp = `${path}.tmp-${process.pid}`;
  try {
    if (kind === "zstd") {
      const chunks: Uint8Array[] = [];
      for await (const chunk of counted()) chunks.push(chunk);
      const input = Buffer.concat(chunks, unpackedBytes);
      chunks.length = 0;
      await writeFile(tmp, await zstdInWorker(input, zstdParams(opts)), { mode: 0o644 });
    } else if (kind === "xz") {
      await writeXz(counted(), tmp, opts);
    } else {
      await pipeline(Readable.from(counted(), { objectMode: false }), createGzip({ level: checkLevel("gzip", opts.level) }), createWriteStream(tmp, { mode: 0o644 }));
    }
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
  return { path, unpackedBytes, compressedBytes: (await stat(path)).size };
}

/**
 * A kernel module stored as .ko.zst: zstd level 19 in one call (a module is a few MB at most),
 * with the frame checksum, which both the kernel's and the init's decompression check.
 */
export function compressModule(data: Buffer): Buffer {
  return zstdCompressSync(data, { params: { [constants.ZSTD_c_compressionLevel]: 19, [constants.ZSTD_c_checksumFlag]: 1 } });
}
