// Bad input: every failure rejects with a message naming the layer (label with URL), the entry
// when there is one, and the cause.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Readable } from "node:stream";
import { gzipSync, zstdCompressSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TmpfsScratch } from "../testing/tar-fixtures";
import { makeTar } from "../testing/tar-write";
import { extract, ExtractError } from "./index";

const LABEL = "layer 2/3 http://srv/x.tar";
let scratch: TmpfsScratch;
let n = 0;

beforeAll(() => {
  scratch = new TmpfsScratch("64m");
});
afterAll(() => scratch?.dispose());

function root(): string {
  return scratch.sub(`r${++n}`);
}

/** Feeds `buf` in small chunks, so that failures happen mid-stream as they do over a network. */
function stream(buf: Buffer, chunk = 7000): Readable {
  const parts: Buffer[] = [];
  for (let i = 0; i < buf.length; i += chunk) parts.push(buf.subarray(i, i + chunk));
  return Readable.from(parts);
}

const big = Buffer.alloc(100_000, 0x61);
const archive = makeTar([
  { name: "usr/", type: "5" },
  { name: "usr/bin/", type: "5" },
  { name: "usr/bin/small", data: "small" },
  { name: "usr/bin/foo", data: big },
  { name: "usr/bin/after", data: "after" },
]);
// Offsets: 3 header blocks + 1 data block of "small", then foo's header at 2048, data at 2560.
const FOO_DATA = 2560;

describe("bad input", () => {
  it("a plain tar cut in the middle of a file's data", async () => {
    await expect(extract(stream(archive.subarray(0, FOO_DATA + 50_000)), root(), { label: LABEL })).rejects.toThrow(
      `${LABEL}: unexpected end of archive in entry usr/bin/foo (50000 bytes of data missing)`,
    );
  });

  it("a plain tar cut in the middle of a header", async () => {
    const afterFoo = FOO_DATA + 100_352;
    await expect(extract(stream(archive.subarray(0, afterFoo + 100)), root(), { label: LABEL })).rejects.toThrow(
      `${LABEL}: unexpected end of archive in a header after entry usr/bin/foo`,
    );
  });

  it("a plain tar without its end-of-archive marker", async () => {
    await expect(extract(stream(archive.subarray(0, archive.length - 1024)), root(), { label: LABEL })).rejects.toThrow(
      `${LABEL}: unexpected end of archive after entry usr/bin/after (no end-of-archive marker)`,
    );
  });

  it("a gzip stream cut short", async () => {
    const gz = gzipSync(archive);
    const err = (await extract(stream(gz.subarray(0, gz.length - 40), 100), root(), { label: LABEL }).catch((e) => e)) as ExtractError;
    expect(err).toBeInstanceOf(ExtractError);
    expect(err.message).toMatch(/^layer 2\/3 http:\/\/srv\/x\.tar: gzip stream is truncated \(unexpected end of file\)/);
  });

  it("a zstd stream cut short", async () => {
    const zst = zstdCompressSync(archive);
    const err = (await extract(stream(zst.subarray(0, zst.length - 10), 50), root(), { label: LABEL }).catch((e) => e)) as Error;
    expect(err.message).toMatch(/^layer 2\/3 http:\/\/srv\/x\.tar: (zstd stream is truncated|corrupt zstd data)/);
  });

  it("an xz stream cut short", async () => {
    const xz = execFileSync("xz", ["-c"], { input: archive });
    const err = (await extract(stream(xz.subarray(0, xz.length - 30), 50), root(), { label: LABEL }).catch((e) => e)) as Error;
    expect(err.message).toMatch(/^layer 2\/3 http:\/\/srv\/x\.tar: xz stream is truncated/);
  });

  it("a multi-block xz stream (decoded in parallel) cut short or corrupted", async () => {
    const bigger = makeTar([{ name: "r", data: execFileSync("head", ["-c", "400000", "/dev/urandom"]) }]);
    const xz = execFileSync("xz", ["-T2", "--block-size=65536", "-c"], { input: bigger });
    const cut = (await extract(stream(xz.subarray(0, 200_000), 5000), root(), { label: LABEL }).catch((e) => e)) as Error;
    expect(cut.message).toMatch(/^layer 2\/3 http:\/\/srv\/x\.tar: xz stream is truncated \(unexpected end of input\)( in entry r)?$/);
    const bad = Buffer.from(xz);
    for (let i = 100_000; i < 100_050; i++) bad[i] ^= 0x33;
    const corrupt = (await extract(stream(bad, 5000), root(), { label: LABEL }).catch((e) => e)) as Error;
    // The entry is named when the writer had reached it; the decoder runs ahead, so it may not have.
    expect(corrupt.message).toMatch(/^layer 2\/3 http:\/\/srv\/x\.tar: corrupt xz data \(.+\)( in entry r)?$/);
  });

  it("corrupt gzip data", async () => {
    const gz = Buffer.from(gzipSync(archive));
    for (let i = 200; i < 260; i++) gz[i] ^= 0x5a;
    await expect(extract(stream(gz), root(), { label: LABEL })).rejects.toThrow(/^layer 2\/3 http:\/\/srv\/x\.tar: corrupt gzip data \(/);
  });

  it("garbage instead of a tarball (an HTML error page)", async () => {
    const html = Buffer.from("<html><body>404 Not Found</body></html>\n".repeat(30));
    await expect(extract(stream(html), root(), { label: LABEL })).rejects.toThrow(
      `${LABEL}: not a tar archive (starts with 3c68746d6c3e3c626f64793e34303420)`,
    );
    await expect(extract(stream(gzipSync(html)), root(), { label: LABEL })).rejects.toThrow(
      `${LABEL}: not a tar archive (starts with 3c68746d6c3e3c626f64793e34303420), after gzip decompression`,
    );
  });

  it("input shorter than one tar block", async () => {
    await expect(extract(stream(Buffer.from("<html>")), root(), { label: LABEL })).rejects.toThrow(
      `${LABEL}: not a tar archive (only 6 bytes, starts with 3c68746d6c3e)`,
    );
  });

  it("empty input", async () => {
    await expect(extract(Readable.from([]), root(), { label: LABEL })).rejects.toThrow(`${LABEL}: empty input: not a tar archive`);
  });

  it("a bzip2 stream cut short or corrupted", async () => {
    const bz = execFileSync("bzip2", ["-c"], { input: archive });
    const cut = (await extract(stream(bz.subarray(0, bz.length - 20), 50), root(), { label: LABEL }).catch((e) => e)) as Error;
    expect(cut.message).toMatch(/^layer 2\/3 http:\/\/srv\/x\.tar: bzip2 stream is truncated \(unexpected end of input\)/);
    const bad = Buffer.from(bz);
    for (let i = 60; i < 90; i++) bad[i] ^= 0x5a;
    const corrupt = (await extract(stream(bad, 50), root(), { label: LABEL }).catch((e) => e)) as Error;
    expect(corrupt.message).toMatch(/^layer 2\/3 http:\/\/srv\/x\.tar: corrupt bzip2 data \(compressed data is corrupt\)/);
  });

  it("a full tmpfs (ENOSPC) names the file being written and says what to do", async () => {
    const tiny = new TmpfsScratch("1m");
    try {
      const tar = makeTar([{ name: "usr/lib/x86_64-linux-gnu/libbig.so", data: Buffer.alloc(3 << 20, 1) }]);
      await expect(extract(stream(tar, 256 * 1024), tiny.dir, { label: LABEL })).rejects.toThrow(
        `${LABEL}: no space left on ${tiny.dir} while writing usr/lib/x86_64-linux-gnu/libbig.so; raise rootsize=`,
      );
    } finally {
      tiny.dispose();
    }
  });

  it("the input's own error (e.g. a checksum mismatch from the HTTP layer) comes back unchanged and stops the writing", async () => {
    const mismatch = new Error("sha256 mismatch for http://srv/x.tar");
    const gz = gzipSync(archive);
    const src = new Readable({ read() {} });
    const dir = root();
    const p = extract(src, dir, { label: LABEL });
    src.push(gz.subarray(0, 600));
    await new Promise((r) => setTimeout(r, 50));
    src.destroy(mismatch);
    await expect(p).rejects.toBe(mismatch);
  });

  it("the same for zstd and xz input, and for an error right after the first bytes", async () => {
    for (const cmd of ["zstd", "xz"]) {
      const packed = execFileSync(cmd, ["-c"], { input: archive, maxBuffer: 1 << 26 });
      for (const wait of [50, 0]) {
        const mismatch = new Error(`sha256 mismatch (${cmd}, after ${wait} ms)`);
        const src = new Readable({ read() {} });
        const p = extract(src, root(), { label: LABEL });
        src.push(packed.subarray(0, 600));
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        src.destroy(mismatch);
        await expect(p).rejects.toBe(mismatch);
      }
    }
  });

  it("the same for a plain tar destroyed mid-file", async () => {
    const mismatch = new Error("connection restarted");
    const src = new Readable({ read() {} });
    const dir = root();
    const p = extract(src, dir, { label: LABEL });
    src.push(archive.subarray(0, FOO_DATA + 1000));
    await new Promise((r) => setTimeout(r, 50));
    src.destroy(mismatch);
    await expect(p).rejects.toBe(mismatch);
    // What was written so far stays as it was: the partial file stops at what arrived.
    expect(readFileSync(join(dir, "usr/bin/foo")).length).toBe(1000);
  });
});
