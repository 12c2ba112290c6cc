// The part of lzma-native (untyped) that the xz decoder uses.
declare module "lzma-native" {
  import type { Transform } from "node:stream";
  export function createDecompressor(options?: { memlimit?: number; synchronous?: boolean; flags?: number }): Transform;
  const lzma: { createDecompressor: typeof createDecompressor };
  export default lzma;
}
