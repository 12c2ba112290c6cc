// zstd decoding with the system's libzstd: Node 24's bundled zstd 1.5.7 decoded a debootstrap root
// (233 MB) in 1.0-1.1 s where Debian's libzstd 1.5.4 (built with its assembly Huffman decoder)
// takes 0.65 s, as fast as the zstd command GNU tar is compared with.
import { LIBZSTD } from "./dlopened";
import { koffi } from "./libc";
import { callAsync, DecodeError, lazyLibrary, NativeCodec, type Pointer, type RunResult } from "./native-codec";

interface Zstd {
  createDCtx: () => Pointer;
  freeDCtx: (ctx: Pointer) => number;
  decompress: { async: (...args: unknown[]) => void };
  errorName: (code: number) => string;
  contentSize: (src: Buffer, size: number) => number | bigint;
  frameSize: (src: Buffer, size: number) => number;
  decompress1: (dst: Buffer, cap: number, src: Buffer, size: number) => number;
}

const lib = lazyLibrary(LIBZSTD, (l): Zstd => ({
  createDCtx: l.func("void *ZSTD_createDCtx(void)"),
  freeDCtx: l.func("size_t ZSTD_freeDCtx(void *dctx)"),
  // simpleArgs: positions as size_t pointers instead of structs holding pointers. Errors are
  // size_t values near 2^64, i.e. small negative numbers as intptr_t.
  decompress: l.func(
    "intptr_t ZSTD_decompressStream_simpleArgs(void *dctx, void *dst, size_t dstCapacity, void *dstPos, const void *src, size_t srcSize, void *srcPos)",
  ),
  errorName: l.func("const char *ZSTD_getErrorName(intptr_t code)"),
  contentSize: l.func("unsigned long long ZSTD_getFrameContentSize(const void *src, size_t srcSize)"),
  frameSize: l.func("intptr_t ZSTD_findFrameCompressedSize(const void *src, size_t srcSize)"),
  decompress1: l.func("intptr_t ZSTD_decompress(void *dst, size_t dstCapacity, const void *src, size_t compressedSize)"),
}));

/**
 * A small single-frame buffer whose header records its size (a .ko.zst module, say) decoded in
 * one synchronous call: no decoder state, no thread pool, no stream. Under emulation the streaming
 * path cost 40-340 ms per module, most of it machinery. Null (the streaming decoder's case) when
 * the frame does not say its size or is not the whole input (several frames, trailing bytes).
 */
export function decodeFrameSync(input: Buffer, maxSize = 256 << 20): Buffer | null {
  const z = lib();
  const size = Number(z.contentSize(input, input.length));
  // ZSTD_CONTENTSIZE_UNKNOWN and _ERROR are 2^64-1 and 2^64-2: far above the cap either way.
  if (!Number.isSafeInteger(size) || size > maxSize || z.frameSize(input, input.length) !== input.length) return null;
  const out = Buffer.allocUnsafe(size);
  const n = z.decompress1(out, size, input, input.length);
  if (n < 0) throw new DecodeError(z.errorName(n), "ZSTD_ERROR", false);
  if (n !== size) throw new DecodeError(`frame decoded to ${n} bytes, its header says ${size}`, "ZSTD_ERROR", false);
  return out;
}

export class ZstdDecoder extends NativeCodec {
  private readonly z: Zstd;
  private readonly ctx: Pointer;
  // dstPos and srcPos, written before and read after each call.
  private readonly dstPos: Pointer;
  private readonly srcPos: Pointer;
  private readonly dstView: BigUint64Array;
  private readonly srcView: BigUint64Array;
  // The last call's hint: 0 when the input so far ends exactly where a frame does.
  private lastHint = -1;

  // A call costs 0.2-0.35 ms of thread hand-offs on the 2-CPU build VM whatever it decodes, and
  // zstd decodes ~1 MiB a millisecond there: 4 MiB per call (256 KiB calls took 1.5x as long).
  constructor(inCap = 2 << 20, outCap = 4 << 20, outCount = 3) {
    const z = lib();
    super(inCap, outCap, outCount);
    this.z = z;
    this.dstPos = koffi.alloc("uint64_t", 1);
    this.srcPos = koffi.alloc("uint64_t", 1);
    this.dstView = new BigUint64Array(koffi.view(this.dstPos, 8));
    this.srcView = new BigUint64Array(koffi.view(this.srcPos, 8));
    this.ctx = z.createDCtx();
    if (!this.ctx) {
      this.close(); // ZSTD_freeDCtx(NULL) is a no-op
      throw new DecodeError("ZSTD_createDCtx failed (out of memory)", "ENOMEM", false);
    }
  }

  protected async run(inPtr: Pointer, inOff: number, inLen: number, outPtr: Pointer, outCap: number, end: boolean): Promise<RunResult> {
    // Called with no input at a frame boundary, zstd asks for the next frame's header: that is
    // the end of the stream, not a truncation.
    if (end && inLen === 0 && this.lastHint === 0) return { consumed: 0, produced: 0, streamEnd: true };
    this.dstView[0] = 0n;
    this.srcView[0] = BigInt(inOff);
    const ret = await callAsync<number>(this.z.decompress, this.ctx, outPtr, outCap, this.dstPos, inPtr, inOff + inLen, this.srcPos);
    if (ret < 0) throw new DecodeError(this.z.errorName(ret), "ZSTD_ERROR", false);
    const produced = Number(this.dstView[0]);
    const consumed = Number(this.srcView[0]) - inOff;
    this.lastHint = ret;
    if (end && consumed === inLen && ret !== 0 && produced < outCap) {
      throw new DecodeError("unexpected end of input", "ZSTD_TRUNCATED", true);
    }
    return { consumed, produced, streamEnd: ret === 0 };
  }

  protected release(): void {
    this.z.freeDCtx(this.ctx);
    koffi.free(this.dstPos);
    koffi.free(this.srcPos);
  }
}
