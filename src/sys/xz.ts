// xz decoding with the system's liblzma (5.4 on Debian 12): its multi-threaded decoder spreads a
// multi-block stream (xz -T0) over the cores as `xz -T0 -dc` does, and the same library decodes
// single-block streams at the xz command's speed, where lzma-native's bundled liblzma 5.2.3 took
// twice as long.
import { availableParallelism, totalmem } from "node:os";
import { LIBLZMA } from "./dlopened";
import { koffi } from "./libc";
import { callAsync, DecodeError, lazyLibrary, NativeCodec, type Pointer, type RunResult } from "./native-codec";

const LZMA_OK = 0;
const LZMA_STREAM_END = 1;
const LZMA_RUN = 0;
const LZMA_FINISH = 3;
// Not LZMA_FAIL_FAST: with it, liblzma 5.4.1 reports a multi-block stream cut short as corrupt data.
const LZMA_CONCATENATED = 0x08;

const ERRORS: Record<number, [string, string]> = {
  2: ["LZMA_NO_CHECK", "no integrity check"],
  3: ["LZMA_UNSUPPORTED_CHECK", "unsupported integrity check"],
  5: ["LZMA_MEM_ERROR", "cannot allocate memory"],
  6: ["LZMA_MEMLIMIT_ERROR", "memory usage limit reached"],
  7: ["LZMA_FORMAT_ERROR", "file format not recognized"],
  8: ["LZMA_OPTIONS_ERROR", "unsupported compression options"],
  9: ["LZMA_DATA_ERROR", "compressed data is corrupt"],
  10: ["LZMA_BUF_ERROR", "unexpected end of input"],
  11: ["LZMA_PROG_ERROR", "internal error in liblzma"],
};

// sizeof(lzma_stream) and sizeof(lzma_mt) on x86-64 (liblzma 5.x); the fields used are at the start.
const STREAM_SIZE = 136;
const MT_SIZE = 128;

interface Lzma {
  decoderMt: ((strm: Pointer, mt: Pointer) => number) | null;
  encoderMt: (strm: Pointer, mt: Pointer) => number;
  decoder: (strm: Pointer, memlimit: bigint, flags: number) => number;
  code: { async: (...args: unknown[]) => void };
  end: (strm: Pointer) => void;
}

const lib = lazyLibrary(LIBLZMA, (l): Lzma => {
  let decoderMt: Lzma["decoderMt"] = null;
  try {
    decoderMt = l.func("int lzma_stream_decoder_mt(void *strm, const void *options)");
  } catch {
    // liblzma before 5.4: single-threaded decoding only.
  }
  return {
    decoderMt,
    decoder: l.func("int lzma_stream_decoder(void *strm, uint64_t memlimit, uint32_t flags)"),
    encoderMt: l.func("int lzma_stream_encoder_mt(void *strm, const void *options)"),
    code: l.func("int lzma_code(void *strm, int action)"),
    end: l.func("void lzma_end(void *strm)"),
  };
});

/** An lzma_stream in native memory, coded with lzma_code on the thread pool. */
abstract class LzmaCodec extends NativeCodec {
  protected readonly lz: Lzma;
  protected readonly strm: Pointer;
  private readonly s: BigUint64Array;

  constructor(inCap: number, outCap: number, init: (lz: Lzma, strm: Pointer, mt: Buffer, mtPtr: Pointer) => number) {
    const lz = lib();
    super(inCap, outCap);
    this.lz = lz;
    this.strm = koffi.alloc("uint8_t", STREAM_SIZE); // zeroed: LZMA_STREAM_INIT
    this.s = new BigUint64Array(koffi.view(this.strm, STREAM_SIZE));
    const mtPtr = koffi.alloc("uint8_t", MT_SIZE);
    let ret: number;
    try {
      ret = init(lz, this.strm, Buffer.from(koffi.view(mtPtr, MT_SIZE)), mtPtr);
    } finally {
      koffi.free(mtPtr);
    }
    if (ret !== LZMA_OK) {
      this.close();
      throw lzmaError(ret);
    }
  }

  protected async run(inPtr: Pointer, inOff: number, inLen: number, outPtr: Pointer, outCap: number, end: boolean): Promise<RunResult> {
    const s = this.s;
    s[0] = koffi.address(inPtr) + BigInt(inOff); // next_in
    s[1] = BigInt(inLen); // avail_in
    s[3] = koffi.address(outPtr); // next_out
    s[4] = BigInt(outCap); // avail_out
    const ret = await callAsync<number>(this.lz.code, this.strm, end ? LZMA_FINISH : LZMA_RUN);
    if (ret !== LZMA_OK && ret !== LZMA_STREAM_END) throw lzmaError(ret);
    return { consumed: inLen - Number(s[1]), produced: outCap - Number(s[4]), streamEnd: ret === LZMA_STREAM_END };
  }

  protected release(): void {
    this.lz.end(this.strm);
    koffi.free(this.strm);
  }
}

export class XzDecoder extends LzmaCodec {
  // 4 MiB of output per call, as for zstd: with 1 MiB calls a single-block .tar.xz of the Debian
  // root took 4.7-4.8 s on the host, with 4 MiB 4.2-4.5 s (alternating runs; multi-block the same).
  constructor(inCap = 2 << 20, outCap = 4 << 20, threads = availableParallelism()) {
    super(inCap, outCap, (lz, strm, mt, mtPtr) => {
      const flags = LZMA_CONCATENATED;
      if (!lz.decoderMt) return lz.decoder(strm, 0xffffffffffffffffn, flags);
      mt.writeUInt32LE(flags, 0);
      mt.writeUInt32LE(Math.max(1, threads), 4);
      // memlimit_threading: beyond it liblzma decodes in one thread rather than fail; a quarter of
      // RAM keeps a small diskless node's tmpfs root room to grow. memlimit_stop: no limit, as xz.
      mt.writeBigUInt64LE(BigInt(Math.floor(totalmem() / 4)), 64);
      mt.writeBigUInt64LE(0xffffffffffffffffn, 72);
      return lz.decoderMt(strm, mtPtr);
    });
  }
}

export const LZMA_CHECK_CRC32 = 1;

export interface XzEncoderOptions {
  preset: number;
  /** Integrity check (LZMA_CHECK_*): the kernel's decoder takes only none and CRC32. */
  check: number;
  threads: number;
  /** Uncompressed bytes per block; fixed, so the output does not depend on the thread count. */
  blockSize: number;
}

export class XzEncoder extends LzmaCodec {
  constructor(o: XzEncoderOptions, inCap = 4 << 20, outCap = 1 << 20) {
    super(inCap, outCap, (lz, strm, mt, mtPtr) => {
      mt.writeUInt32LE(0, 0); // flags
      mt.writeUInt32LE(Math.max(1, o.threads), 4);
      mt.writeBigUInt64LE(BigInt(o.blockSize), 8);
      mt.writeUInt32LE(0, 16); // timeout: none
      mt.writeUInt32LE(o.preset, 20);
      mt.writeInt32LE(o.check, 32);
      return lz.encoderMt(strm, mtPtr);
    });
  }
}

function lzmaError(ret: number): DecodeError {
  const [code, text] = ERRORS[ret] ?? [`LZMA_ERROR_${ret}`, `liblzma error ${ret}`];
  return new DecodeError(text, code, ret === 10);
}
