// bzip2 decoding with the system's libbz2 (the library `bzip2 -d`, and so `tar -j`, uses), on the
// thread pool like zstd and xz. bzip2 has no multi-threaded decoder: a .tar.bz2 layer unpacks at
// libbz2's pace (tens of MB/s), which is why the README recommends zstd for roots.
import { LIBBZ2 } from "./dlopened";
import { koffi } from "./libc";
import { callAsync, DecodeError, lazyLibrary, NativeCodec, type Pointer, type RunResult } from "./native-codec";

const BZ_OK = 0;
const BZ_STREAM_END = 4;

const ERRORS: Record<number, [string, string]> = {
  [-1]: ["BZ_SEQUENCE_ERROR", "libbz2 called out of sequence"],
  [-2]: ["BZ_PARAM_ERROR", "bad parameter to libbz2"],
  [-3]: ["BZ_MEM_ERROR", "cannot allocate memory"],
  [-4]: ["BZ_DATA_ERROR", "compressed data is corrupt"],
  [-5]: ["BZ_DATA_ERROR_MAGIC", "not a bzip2 stream"],
  [-9]: ["BZ_CONFIG_ERROR", "libbz2 is miscompiled"],
};

// sizeof(bz_stream) on x86-64 and the offsets of the fields set and read (bzlib.h).
const STREAM_SIZE = 80;
const NEXT_IN = 0;
const AVAIL_IN = 8;
const NEXT_OUT = 24;
const AVAIL_OUT = 32;

interface Bz2 {
  init: (strm: Pointer, verbosity: number, small: number) => number;
  decompress: { async: (...args: unknown[]) => void };
  end: (strm: Pointer) => number;
}

const lib = lazyLibrary(LIBBZ2, (l): Bz2 => ({
  init: l.func("int BZ2_bzDecompressInit(void *strm, int verbosity, int small)"),
  decompress: l.func("int BZ2_bzDecompress(void *strm)"),
  end: l.func("int BZ2_bzDecompressEnd(void *strm)"),
}));

export class Bzip2Decoder extends NativeCodec {
  private readonly bz: Bz2;
  private readonly strm: Pointer;
  private readonly s: DataView;
  private live = false;
  // The last stream ended and no byte of another has been read: where a file may end.
  private atStreamEnd = false;

  // bzip2 decodes at most ~900 kB of output per block, slowly: 1 MiB of output per call keeps
  // the writer busy without holding much memory.
  constructor(inCap = 1 << 20, outCap = 1 << 20, outCount = 3) {
    const bz = lib();
    super(inCap, outCap, outCount);
    this.bz = bz;
    this.strm = koffi.alloc("uint8_t", STREAM_SIZE);
    const view = koffi.view(this.strm, STREAM_SIZE);
    new Uint8Array(view).fill(0); // bzalloc, bzfree, opaque: NULL, libbz2's malloc and free
    this.s = new DataView(view);
    this.begin();
  }

  private begin(): void {
    const ret = this.bz.init(this.strm, 0, 0);
    if (ret !== BZ_OK) {
      this.close();
      throw bzError(ret);
    }
    this.live = true;
  }

  protected async run(inPtr: Pointer, inOff: number, inLen: number, outPtr: Pointer, outCap: number, end: boolean): Promise<RunResult> {
    if (this.atStreamEnd) {
      if (inLen === 0) return { consumed: 0, produced: 0, streamEnd: true };
      // Concatenated streams (pbzip2, lbzip2, `cat a.bz2 b.bz2`) decode as one, as bzip2 -d does.
      this.bz.end(this.strm);
      this.live = false;
      this.begin();
      this.atStreamEnd = false;
    }
    const s = this.s;
    s.setBigUint64(NEXT_IN, koffi.address(inPtr) + BigInt(inOff), true);
    s.setUint32(AVAIL_IN, inLen, true);
    s.setBigUint64(NEXT_OUT, koffi.address(outPtr), true);
    s.setUint32(AVAIL_OUT, outCap, true);
    const ret = await callAsync<number>(this.bz.decompress, this.strm);
    if (ret !== BZ_OK && ret !== BZ_STREAM_END) throw bzError(ret);
    const consumed = inLen - s.getUint32(AVAIL_IN, true);
    const produced = outCap - s.getUint32(AVAIL_OUT, true);
    if (ret === BZ_STREAM_END) {
      this.atStreamEnd = true;
      return { consumed, produced, streamEnd: consumed === inLen };
    }
    if (end && consumed === inLen && produced < outCap) throw new DecodeError("unexpected end of input", "BZ_UNEXPECTED_EOF", true);
    return { consumed, produced, streamEnd: false };
  }

  protected release(): void {
    if (this.live) this.bz.end(this.strm);
    koffi.free(this.strm);
  }
}

function bzError(ret: number): DecodeError {
  const [code, text] = ERRORS[ret] ?? [`BZ_ERROR_${ret}`, `libbz2 error ${ret}`];
  return new DecodeError(text, code, false);
}
