import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { constants, zstdCompressSync, zstdDecompressSync } from "node:zlib";
import { COMPRESSIONS, type Compression, writeCompressed, zstdInWorker } from "./compress";

const tmp = mkdtempSync(join(tmpdir(), "tarboot-compress-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

// Something like an initramfs: compressible text and code-like bytes, with incompressible stretches.
const input = (() => {
  const parts: Buffer[] = [];
  let x = 12345;
  for (let i = 0; i < 48; i++) {
    parts.push(Buffer.from(`line ${i}: ${"the quick brown fox jumps over the lazy dog ".repeat(200)}\n`));
    const noise = Buffer.alloc(40_000);
    for (let j = 0; j < noise.length; j++) {
      x = (x * 1103515245 + 12345) >>> 0;
      noise[j] = (x >>> 16) & (i % 3 === 0 ? 0xff : 0x0f);
    }
    parts.push(noise);
  }
  return Buffer.concat(parts);
})();

async function* chunks(buf: Buffer, size: number): AsyncGenerator<Buffer> {
  for (let i = 0; i < buf.length; i += size) yield buf.subarray(i, i + size);
}

const DECOMPRESS: Record<Compression, string[]> = { zstd: ["zstd", "-dc"], xz: ["xz", "-dc"], gzip: ["gzip", "-dc"] };

describe.each(COMPRESSIONS)("%s", (kind) => {
  it("round-trips through the standard tool, and counts both sizes", async () => {
    const out = join(tmp, `a.${kind}`);
    const r = await writeCompressed(chunks(input, 1 << 20), kind, out);
    expect(r).toEqual({ path: out, unpackedBytes: input.length, compressedBytes: readFileSync(out).length });
    expect(r.compressedBytes).toBeLessThan(input.length / 2);
    const [cmd, ...args] = DECOMPRESS[kind];
    expect(execFileSync(cmd, [...args, out], { maxBuffer: 64 << 20 }).equals(input)).toBe(true);
  });

  it("takes a level: lower is bigger; out of range is refused", async () => {
    const low = await writeCompressed(chunks(input, 1 << 20), kind, join(tmp, `l.${kind}`), { level: 1 });
    const high = await writeCompressed(chunks(input, 1 << 20), kind, join(tmp, `h.${kind}`));
    expect(low.compressedBytes).toBeGreaterThan(high.compressedBytes);
    const [cmd, ...args] = DECOMPRESS[kind];
    expect(execFileSync(cmd, [...args, low.path], { maxBuffer: 64 << 20 }).equals(input)).toBe(true);
    await expect(writeCompressed(chunks(input, 1 << 20), kind, join(tmp, `x.${kind}`), { level: 22 })).rejects.toThrow(new RegExp(`compression level 22 for ${kind}: expected`));
  });

  it("is deterministic: same bytes whatever the chunking and thread count", async () => {
    const a = join(tmp, `b1.${kind}`);
    const b = join(tmp, `b2.${kind}`);
    await writeCompressed(chunks(input, 1 << 20), kind, a, { threads: 1 });
    await writeCompressed(chunks(input, 65_536 + 7), kind, b, { threads: 2 });
    expect(readFileSync(a).equals(readFileSync(b))).toBe(true);
  });
});

describe("zstd on a worker thread", () => {
  it("compresses inputs larger than a job with several workers (where Node's async zstd returns nothing)", async () => {
    const big = Buffer.concat(Array.from({ length: 25 }, () => input));
    const params = { [constants.ZSTD_c_compressionLevel]: 3, [constants.ZSTD_c_nbWorkers]: 2 };
    const expected = zstdCompressSync(big, { params: { ...params, [constants.ZSTD_c_nbWorkers]: 1 } });
    const out = await zstdInWorker(Buffer.from(big), params);
    expect(out.length).toBeGreaterThan(0);
    expect(out.equals(expected)).toBe(true);
    expect(zstdDecompressSync(out).equals(big)).toBe(true);
  });
});

describe("xz for the kernel", () => {
  it("uses the CRC32 check (the kernel refuses CRC64/SHA-256)", async () => {
    const out = join(tmp, "c.xz");
    await writeCompressed(chunks(input, 1 << 20), "xz", out);
    const robot = execFileSync("xz", ["--robot", "-lvv", out], { encoding: "utf8" });
    expect(robot).toMatch(/^file\t1\t\d+\t\d+\t\d+\t[\d.]+\tCRC32\t/m);
    expect(robot).toMatch(/^block\t1\t1\t.*\tCRC32\t/m);
    expect(robot).not.toMatch(/CRC64|SHA-256/);
  });

  it("a failed compression leaves no file behind", async () => {
    async function* broken(): AsyncGenerator<Buffer> {
      yield Buffer.from("x");
      throw new Error("source failed");
    }
    const out = join(tmp, "dir", "d.zst");
    await expect(writeCompressed(broken(), "zstd", join(tmp, "e.zst"))).rejects.toThrow(/source failed/);
    expect(readdirSync(tmp).filter((n) => n.startsWith("e.zst"))).toEqual([]);
    await expect(writeCompressed(chunks(input, 1 << 20), "zstd", out)).rejects.toThrow(/ENOENT/);
  });
});
