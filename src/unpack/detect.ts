// Which decoder a stream needs, from its first bytes (never from a file name).

export type Compression = "gzip" | "zstd" | "xz" | "bzip2" | "none";

/** Bytes needed to tell every supported compression apart. */
export const SNIFF_BYTES = 6;

export function detectCompression(head: Buffer): Compression {
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return "gzip";
  if (head.length >= 4 && head.readUInt32LE(0) === 0xfd2fb528) return "zstd";
  if (head.length >= 6 && head.subarray(0, 6).equals(XZ_MAGIC)) return "xz";
  if (head.length >= 4 && head[0] === 0x42 && head[1] === 0x5a && head[2] === 0x68 && head[3] >= 0x31 && head[3] <= 0x39) return "bzip2";
  return "none";
}

const XZ_MAGIC = Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]);
