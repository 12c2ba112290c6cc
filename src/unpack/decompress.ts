// Decoders by compression: gzip through node:zlib (Chromium's zlib with SIMD, faster than gzip
// itself), zstd, xz and bzip2 through the system's libzstd, liblzma and libbz2 on the thread pool
// (see src/sys/zstd.ts and xz.ts for the measurements behind that choice).
import { Readable, type Transform } from "node:stream";
import type { NativeCodec } from "../sys/native-codec";
import { Bzip2Decoder } from "../sys/bzip2";
import { XzDecoder } from "../sys/xz";
import { ZstdDecoder } from "../sys/zstd";
import type { Compression } from "./detect";
import { pumpNative } from "./native-pump";

// zlib's default 16 KiB output chunks make gzip 3-4x slower than GNU tar: every chunk is a round
// trip to the thread pool.
const CHUNK = 256 * 1024;

export type Decoder = { kind: "stream"; stream: Transform } | { kind: "native"; native: NativeCodec };

export function createDecoder(kind: Exclude<Compression, "none">): Decoder {
  switch (kind) {
    case "gzip":
      // node:zlib is loaded by the first gzip layer, not with the unpack code for every boot.
      return { kind: "stream", stream: process.getBuiltinModule("node:zlib").createGunzip({ chunkSize: CHUNK }) };
    case "zstd":
      return { kind: "native", native: new ZstdDecoder() };
    case "xz":
      return { kind: "native", native: new XzDecoder() };
    case "bzip2":
      return { kind: "native", native: new Bzip2Decoder() };
  }
}

/** Decodes a whole buffer (a compressed kernel module, say). */
export async function decodeBuffer(kind: "gzip" | "zstd" | "xz", input: Buffer): Promise<Buffer> {
  const dec = createDecoder(kind);
  const chunks: Buffer[] = [];
  if (dec.kind === "stream") {
    for await (const c of Readable.from([input]).pipe(dec.stream)) chunks.push(c as Buffer);
  } else {
    // The decoder's output buffers are reused: each piece is copied out.
    await pumpNative(Readable.from([input]), dec.native, (b) => chunks.push(Buffer.from(b)));
  }
  return Buffer.concat(chunks);
}
