import { execFileSync, spawnSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { constants, zstdCompressSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REPO, bundleDriver, node24, removeBundles } from "../testing/bundle";
import { pumpNative } from "../unpack/native-pump";
import { DecodeError, type NativeCodec } from "./native-codec";
import { Bzip2Decoder } from "./bzip2";
import { XzDecoder } from "./xz";
import { ZstdDecoder, decodeFrameSync } from "./zstd";

let dir: string;
let plain: Buffer;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "tarboot-dec-"));
  // Compressible but not trivially: text with random words, 6 MB.
  const words = randomBytes(3_000_000).toString("base64");
  plain = Buffer.from(words.replace(/[+/]/g, " "));
  writeFileSync(join(dir, "p"), plain);
  execFileSync("zstd", ["-q", "-3", join(dir, "p"), "-o", join(dir, "p.zst")]);
  execFileSync("xz", ["-T2", "--block-size=500000", "-6", "-k", join(dir, "p")]);
  execFileSync("bzip2", ["-k", "-9", join(dir, "p")]);
});

afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  await removeBundles();
});

const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");

async function decode(dec: NativeCodec, input: Buffer, chunk = 7001): Promise<Buffer> {
  const parts: Buffer[] = [];
  for (let i = 0; i < input.length; i += chunk) parts.push(input.subarray(i, i + chunk));
  const out: Buffer[] = [];
  await pumpNative(Readable.from(parts), dec, (b) => out.push(Buffer.from(b)));
  return Buffer.concat(out);
}

describe("system-library decoders", () => {
  // Both libraries' symbols must bind to themselves: node exports its own zstd, and a libzstd
  // calling into it decoded garbage once malloc reused memory (MALLOC_PERTURB_ shows it at once).
  it("decode exactly, decoder after decoder, with malloc perturbing memory", async () => {
    const driver = await bundleDriver(join(REPO, "src/testing/decode-driver.ts"));
    const r = spawnSync(node24(), [driver, "xz,zstd,bzip2", join(dir, "p.%k"), "4"], {
      encoding: "utf8",
      timeout: 60_000,
      env: { ...process.env, MALLOC_PERTURB_: "165" },
    });
    expect(r.status, r.stderr).toBe(0);
    const results = JSON.parse(r.stdout.trim()) as string[];
    expect(results).toHaveLength(12);
    for (const line of results) expect(line).toMatch(new RegExp(`^(xz|zstd|bzip2) ${sha(plain)}$`));
  });

  it("zstd: concatenated frames, and a cut or corrupted stream", async () => {
    const z = execFileSync("zstd", ["-q", "-c", join(dir, "p")], { maxBuffer: 1 << 26 });
    expect(sha(await decode(new ZstdDecoder(), Buffer.concat([z, z])))).toBe(sha(Buffer.concat([plain, plain])));
    const cut = await decode(new ZstdDecoder(), z.subarray(0, z.length - 100)).catch((e) => e);
    expect(cut).toBeInstanceOf(DecodeError);
    expect(cut.truncated).toBe(true);
    const bad = Buffer.from(z);
    for (let i = 1000; i < 1100; i++) bad[i] ^= 0x5a;
    const corrupt = await decode(new ZstdDecoder(), bad).catch((e) => e);
    expect(corrupt).toBeInstanceOf(DecodeError);
    expect(corrupt.truncated).toBe(false);
  });

  it("xz: multi-block in parallel, concatenated streams, and a cut stream", async () => {
    const x = execFileSync("xz", ["-T2", "--block-size=300000", "-c", join(dir, "p")], { maxBuffer: 1 << 26 });
    expect(sha(await decode(new XzDecoder(), Buffer.concat([x, x]), 65536))).toBe(sha(Buffer.concat([plain, plain])));
    const cut = await decode(new XzDecoder(), x.subarray(0, x.length >> 1)).catch((e) => e);
    expect(cut).toBeInstanceOf(DecodeError);
    expect(cut.message).toBe("unexpected end of input");
    expect(cut.truncated).toBe(true);
  });

  it("bzip2: many blocks, concatenated streams (as pbzip2 writes), a cut stream and a corrupt one", async () => {
    // -1: 100 kB blocks, so the 6 MB input spans ~60 of them.
    const b = execFileSync("bzip2", ["-1", "-c", join(dir, "p")], { maxBuffer: 1 << 26 });
    expect(sha(await decode(new Bzip2Decoder(), b))).toBe(sha(plain));
    const half = plain.subarray(0, plain.length >> 1);
    const b2 = execFileSync("bzip2", ["-c"], { input: half, maxBuffer: 1 << 26 });
    // The first stream ends exactly at a chunk boundary in one run and inside a chunk in the other.
    for (const chunk of [b.length, 65536]) {
      expect(sha(await decode(new Bzip2Decoder(), Buffer.concat([b, b2]), chunk))).toBe(sha(Buffer.concat([plain, half])));
    }
    const cut = await decode(new Bzip2Decoder(), b.subarray(0, b.length - 1000)).catch((e) => e);
    expect(cut).toBeInstanceOf(DecodeError);
    expect(cut.message).toBe("unexpected end of input");
    expect(cut.truncated).toBe(true);
    const bad = Buffer.from(b);
    for (let i = 5000; i < 5100; i++) bad[i] ^= 0x5a;
    const corrupt = await decode(new Bzip2Decoder(), bad).catch((e) => e);
    expect(corrupt).toBeInstanceOf(DecodeError);
    expect(corrupt.code).toBe("BZ_DATA_ERROR");
    expect(corrupt.truncated).toBe(false);
    // Bytes after the last stream that are not another stream: refused, not ignored.
    const trailing = await decode(new Bzip2Decoder(), Buffer.concat([b2, Buffer.from("garbage!")])).catch((e) => e);
    expect(trailing).toBeInstanceOf(DecodeError);
    expect(trailing.code).toBe("BZ_DATA_ERROR_MAGIC");
  });

  it("a decoder error stops the pump without losing the failure, and the input is released", async () => {
    const src = Readable.from([Buffer.from("definitely not zstd data, not at all")]);
    const err = await pumpNative(src, new ZstdDecoder(), () => {}).catch((e) => e);
    expect(err).toBeInstanceOf(DecodeError);
    expect(err.message).toMatch(/Unknown frame descriptor/);
    expect(src.destroyed).toBe(true);
  });
});

describe("one-call zstd frames", () => {
  it("decodes a frame that records its size, and leaves one that does not to the streaming decoder", () => {
    const packed = zstdCompressSync(plain, { params: { [constants.ZSTD_c_compressionLevel]: 19, [constants.ZSTD_c_checksumFlag]: 1 } });
    expect(sha(decodeFrameSync(packed) as Buffer)).toBe(sha(plain));
    // zstd reading a pipe cannot write the size into the header.
    const piped = execFileSync("sh", ["-c", `cat '${join(dir, "p")}' | zstd -q -c`], { maxBuffer: 64 << 20 });
    expect(decodeFrameSync(piped)).toBeNull();
    // Over the cap: not attempted.
    expect(decodeFrameSync(packed, 1000)).toBeNull();
    // Two frames (or anything after the first): the streaming decoder's, which reads them all.
    expect(decodeFrameSync(Buffer.concat([packed, packed]))).toBeNull();
  });

  it("refuses a corrupt frame with the library's reason", () => {
    const packed = zstdCompressSync(plain, { params: { [constants.ZSTD_c_checksumFlag]: 1 } });
    const bad = Buffer.from(packed);
    bad[bad.length - 2] ^= 0xff; // inside the checksum
    expect(() => decodeFrameSync(bad)).toThrow(DecodeError);
    expect(() => decodeFrameSync(bad)).toThrow(/checksum/i);
  });
});
