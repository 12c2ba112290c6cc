// Decoders as streams. zlib's default 16 KiB output chunks make gzip/zstd 3-4x slower than
// GNU tar: every chunk is a round trip to the thread pool, so they get 256 KiB.
import lzma from "lzma-native";
import type { Transform } from "node:stream";
import { createGunzip, createZstdDecompress } from "node:zlib";
import type { Compression } from "./detect";

export const CHUNK = 256 * 1024;

export class UnsupportedCompressionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UnsupportedCompressionError";
  }
}

export function createDecoder(kind: Exclude<Compression, "none">): Transform {
  switch (kind) {
    case "gzip":
      return createGunzip({ chunkSize: CHUNK });
    case "zstd":
      return createZstdDecompress({ chunkSize: CHUNK });
    case "xz":
      return lzma.createDecompressor();
    case "bzip2":
      throw new UnsupportedCompressionError("bzip2 is not supported (recompress the tarball with zstd, gzip or xz)");
  }
}
