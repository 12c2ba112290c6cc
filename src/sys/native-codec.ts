// The common half of the system-library codecs (zstd.ts, xz.ts): input and output live in native
// memory that JS sees through views, and each coding call runs on the libuv thread pool through
// koffi's async calls. Native memory, owned by the codec, because a call running on another
// thread must find its buffers where they were for its whole duration, whatever the JS side does
// meanwhile (a first measurement also had JS buffers in async calls ~1.5x slower); several output
// buffers so the caller can write out one while the next calls fill others.
import { koffi } from "./libc";

export type Pointer = unknown;

/** What one coding call did. `out` stays valid until `outCount - 1` more calls have started. */
export interface StepResult {
  out: Buffer;
  /** The output buffer was filled: more output may be waiting, call again without new input. */
  full: boolean;
  /** The stream is complete (only reported once `end` was given and all input was consumed). */
  finished: boolean;
}

/** A codec failure; `truncated` when a decoder's input ended before the stream did. */
export class DecodeError extends Error {
  readonly truncated: boolean;
  readonly code: string;
  constructor(message: string, code: string, truncated: boolean) {
    super(message);
    this.name = "DecodeError";
    this.code = code;
    this.truncated = truncated;
  }
}

interface NativeBuf {
  ptr: Pointer;
  view: Buffer;
}

function allocNative(size: number): NativeBuf {
  const ptr = koffi.alloc("uint8_t", size);
  return { ptr, view: Buffer.from(koffi.view(ptr, size)) };
}

/** What a subclass's call did, in bytes. */
export interface RunResult {
  consumed: number;
  produced: number;
  /** The library reports the end of the (last) stream. */
  streamEnd: boolean;
}

export abstract class NativeCodec {
  readonly inCap: number;
  readonly outCap: number;
  /** Output buffers, used in turn. */
  readonly outCount: number;
  private readonly input: NativeBuf;
  private readonly outs: NativeBuf[];
  private nextOut = 0;
  private inStart = 0;
  private inEnd = 0;
  private busy = false;
  private closed = false;
  private freed = false;
  private idleCalls = 0;

  constructor(inCap: number, outCap: number, outCount = 4) {
    this.inCap = inCap;
    this.outCap = outCap;
    this.outCount = outCount;
    this.input = allocNative(inCap);
    this.outs = Array.from({ length: this.outCount }, () => allocNative(outCap));
  }

  /** Input bytes given to feed() and not yet consumed by the decoder. */
  pending(): number {
    return this.inEnd - this.inStart;
  }

  /** Copies as much of `src` as fits into the input buffer; returns how many bytes were taken. */
  feed(src: Buffer): number {
    if (this.busy) throw new Error("feed() while a decoding call runs");
    if (this.inStart > 0 && this.inEnd + src.length > this.inCap) {
      this.input.view.copyWithin(0, this.inStart, this.inEnd);
      this.inEnd -= this.inStart;
      this.inStart = 0;
    }
    const n = Math.min(src.length, this.inCap - this.inEnd);
    src.copy(this.input.view, this.inEnd, 0, n);
    this.inEnd += n;
    return n;
  }

  /** One coding call on the thread pool. `end`: no input will come after what was fed. */
  async step(end: boolean): Promise<StepResult> {
    if (this.busy) throw new Error("step() while a decoding call runs");
    if (this.closed) throw new Error("step() after close()");
    const out = this.outs[this.nextOut];
    this.nextOut = (this.nextOut + 1) % this.outCount;
    this.busy = true;
    let r: RunResult;
    try {
      r = await this.run(this.input.ptr, this.inStart, this.inEnd - this.inStart, out.ptr, this.outCap, end);
    } finally {
      this.busy = false;
      if (this.closed) this.free();
    }
    // Closed meanwhile: the output went with the memory.
    if (this.closed) throw new Error("codec closed during a call");
    // At the end, a call that neither reads nor writes means the stream wants input that will
    // never come (liblzma says so only on the second such call; a guard for any library).
    this.idleCalls = r.consumed === 0 && r.produced === 0 && !r.streamEnd ? this.idleCalls + 1 : 0;
    if (end && this.idleCalls >= 2) throw new DecodeError("unexpected end of input", "TRUNCATED", true);
    this.inStart += r.consumed;
    if (this.inStart === this.inEnd) this.inStart = this.inEnd = 0;
    const full = r.produced === this.outCap;
    return { out: out.view.subarray(0, r.produced), full, finished: end && r.streamEnd && this.pending() === 0 };
  }

  /** Releases the native memory, now or when the running call returns. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (!this.busy) this.free();
  }

  private free(): void {
    if (this.freed) return;
    this.freed = true;
    this.release();
    koffi.free(this.input.ptr);
    for (const o of this.outs) koffi.free(o.ptr);
  }

  /** Codes from in[inOff, inOff+inLen) into out[0, outCap) on the thread pool. */
  protected abstract run(inPtr: Pointer, inOff: number, inLen: number, outPtr: Pointer, outCap: number, end: boolean): Promise<RunResult>;
  /** Frees the library's own state. */
  protected abstract release(): void;
}

export type Library = ReturnType<typeof koffi.load>;

/**
 * Opens a system library with RTLD_DEEPBIND: the node executable exports its own zstd 1.5.7 (292
 * ZSTD_ symbols), and without it libzstd's internal calls bound to those, mixing two versions'
 * structures (seen as "Error (generic)" from a fresh context, depending on what malloc left in
 * memory). Every codec library is opened so, whatever the executable happens to export.
 */
export function openLibrary(name: string): Library {
  try {
    return koffi.load(name, { deep: true });
  } catch (e) {
    throw new DecodeError(`cannot load ${name} (${(e as Error).message})`, "ENOLIB", false);
  }
}

/** `bind(library)`, done once, on first use: the boot opens a codec library only for a layer that needs it. */
export function lazyLibrary<T>(name: string, bind: (l: Library) => T): () => T {
  let bound: T | undefined;
  return () => (bound ??= bind(openLibrary(name)));
}

/** Calls koffi's async variant of `fn` and resolves with its result. */
export function callAsync<T>(fn: { async: (...args: unknown[]) => void }, ...args: unknown[]): Promise<T> {
  return new Promise((resolve, reject) => {
    fn.async(...args, (err: unknown, res: T) => (err ? reject(err) : resolve(res)));
  });
}
