// Compressing the archive for the kernel's initramfs unpacker, deterministically: same bytes in,
// same bytes out, whatever machine or core count builds it.
//
// - zstd: node:zlib at level 19 with the multithreaded encoder, whose output does not depend on
//   the number of workers (only on the parameters); window 8 MiB, so early boot allocates little.
// - xz: liblzma through lzma-native with --check=crc32 (the kernel's xz decoder rejects CRC64 and
//   SHA-256 streams) and the multithreaded encoder with a fixed block size.
// - gzip: node:zlib level 9; Node's gzip header carries no name and mtime 0.
import { createWriteStream } from "node:fs";
import { rename, rm, stat } from "node:fs/promises";
import { availableParallelism } from "node:os";
import { Readable, type Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { constants, createGzip, createZstdCompress } from "node:zlib";
import { CHECK_CRC32, createCompressor as createXzCompressor } from "lzma-native";

export type Compression = "zstd" | "xz" | "gzip";
export const COMPRESSIONS: readonly Compression[] = ["zstd", "xz", "gzip"];

export const ZSTD_LEVEL = 19;
export const XZ_PRESET = 6;
/** The xz MT encoder's default for preset 6 (3 x 8 MiB dictionary), fixed so the output never varies. */
export const XZ_BLOCK_SIZE = 24 << 20;

export function isCompression(value: string): value is Compression {
  return (COMPRESSIONS as readonly string[]).includes(value);
}

export interface CompressorOptions {
  /** Encoder threads, default one per CPU (at most 8); the output is the same for any count. */
  threads?: number;
}

export function createCompressor(kind: Compression, opts: CompressorOptions = {}): Transform {
  const threads = Math.max(1, opts.threads ?? Math.min(availableParallelism(), 8));
  switch (kind) {
    case "zstd":
      return createZstdCompress({
        params: {
          [constants.ZSTD_c_compressionLevel]: ZSTD_LEVEL,
          [constants.ZSTD_c_checksumFlag]: 1,
          // Any nbWorkers >= 1 gives the same bytes; 0 (single-threaded) would give others.
          [constants.ZSTD_c_nbWorkers]: threads,
        },
      });
    case "xz":
      return createXzCompressor({ preset: XZ_PRESET, check: CHECK_CRC32, threads, blockSize: XZ_BLOCK_SIZE });
    case "gzip":
      return createGzip({ level: 9 });
  }
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
  let unpackedBytes = 0;
  async function* counted(): AsyncGenerator<Uint8Array> {
    for await (const chunk of source) {
      unpackedBytes += chunk.length;
      yield chunk;
    }
  }
  const tmp = `${path}.tmp-${process.pid}`;
  try {
    await pipeline(Readable.from(counted(), { objectMode: false }), createCompressor(kind, opts), createWriteStream(tmp, { mode: 0o644 }));
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
  return { path, unpackedBytes, compressedBytes: (await stat(path)).size };
}
