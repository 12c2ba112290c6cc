// Decoders as streams. zlib's default 16 KiB output chunks make gzip/zstd 3-4x slower than
// GNU tar: every chunk is a round trip to the thread pool, so they get 256 KiB.
import { availableParallelism } from "node:os";
import type { Transform } from "node:stream";
import { createGunzip, createZstdDecompress } from "node:zlib";
import type { Compression } from "./detect";
import { lzma } from "./lzma";
import { XzParallelDecoder, xzHeadAllowsParallel } from "./xz-parallel";

/** Bytes of the stream's start createDecoder wants to see (xz: stream header and first block header). */
export const DECODER_HEAD_BYTES = 12 + 1024;

// Blocks in flight (each up to 3x the dictionary, 24 MiB at xz -6) are also memory; four is
// enough to outrun the writer.
const XZ_PARALLEL = Math.max(2, Math.min(4, availableParallelism()));

export const CHUNK = 256 * 1024;

export class UnsupportedCompressionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UnsupportedCompressionError";
  }
}

/** A decoder for `kind`; `head` (the stream's first bytes, when known) picks the xz strategy. xz needs loadLzma() first. */
export function createDecoder(kind: Exclude<Compression, "none">, head?: Buffer): Transform {
  switch (kind) {
    case "gzip":
      return createGunzip({ chunkSize: CHUNK });
    case "zstd":
      return createZstdDecompress({ chunkSize: CHUNK });
    case "xz":
      return head && xzHeadAllowsParallel(head) ? new XzParallelDecoder(XZ_PARALLEL) : lzma().createDecompressor();
    case "bzip2":
      throw new UnsupportedCompressionError("bzip2 is not supported (recompress the tarball with zstd, gzip or xz)");
  }
}
