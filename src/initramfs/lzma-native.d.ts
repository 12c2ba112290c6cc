// The part of lzma-native (untyped) that the initramfs xz encoder uses; merges with the decoder's
// declaration in src/unpack/lzma-native.d.ts.
declare module "lzma-native" {
  import type { Transform } from "node:stream";
  export interface CompressorOptions {
    preset?: number;
    /** lzma-native's CHECK_* value; the kernel's xz decoder only verifies CRC32 (or none). */
    check?: number;
    /** Set (0 = one per CPU) to use liblzma's multithreaded encoder; its output depends on blockSize, not on threads. */
    threads?: number;
    blockSize?: number;
    synchronous?: boolean;
  }
  export function createCompressor(options?: CompressorOptions): Transform;
  export const CHECK_CRC32: number;
}
