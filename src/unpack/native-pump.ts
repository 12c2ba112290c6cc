// Drives a system-library decoder (src/sys/zstd.ts, xz.ts): compressed input is queued as it
// arrives, copied into the decoder between calls, and each decoded buffer is handed to `consume`
// (the tar reader, which writes synchronously) while the next call already runs on the thread pool.
// No Node stream sits between the decoder and the tar reader: in a TCG guest the per-chunk stream
// machinery, not the decoding, was where the main thread's time went.
import type { Readable } from "node:stream";
import type { NativeCodec, StepResult } from "../sys/native-codec";

/** Compressed bytes queued before the source is paused. */
const QUEUE_HIGH = 4 * 1024 * 1024;

// Input a decoding call waits for (unless the input has ended). A network delivers a few KiB to
// 64 KiB at a time; calling the decoder for each piece cost, in a TCG guest, 0.7 ms a call plus
// the writes of correspondingly small pieces of files: 2.2 s and 2.5 s on a 200 MB layer.
const MIN_STEP_INPUT = 256 * 1024;

/** A failure of the input stream itself (network, checksum), kept apart from decoding failures. */
export class InputFailure extends Error {
  constructor(readonly error: unknown) {
    super("input failed");
  }
}

class InputQueue {
  private chunks: Buffer[] = [];
  private bytes = 0;
  ended = false;
  private failure: unknown = null;
  private wake: (() => void) | null = null;
  total = 0;

  constructor(private readonly src: Readable) {
    src.on("data", (c: Buffer | string) => {
      const b = typeof c === "string" ? Buffer.from(c) : c;
      this.chunks.push(b);
      this.bytes += b.length;
      this.total += b.length;
      if (this.bytes >= QUEUE_HIGH) src.pause();
      this.notify();
    });
    src.on("end", () => {
      this.ended = true;
      this.notify();
    });
    src.on("error", (e) => {
      this.failure ??= e;
      this.notify();
    });
    src.resume();
  }

  get empty(): boolean {
    return this.bytes === 0;
  }

  /** True once the source has ended and everything queued was handed on. */
  get drained(): boolean {
    return this.ended && this.bytes === 0;
  }

  check(): void {
    if (this.failure !== null) throw new InputFailure(this.failure);
  }

  /** Moves queued bytes into the decoder's input buffer, as many as it takes. */
  feed(dec: NativeCodec): void {
    while (this.chunks.length > 0) {
      const c = this.chunks[0];
      const n = dec.feed(c);
      this.bytes -= n;
      if (n === c.length) this.chunks.shift();
      else {
        this.chunks[0] = c.subarray(n);
        break;
      }
    }
    if (this.bytes < QUEUE_HIGH && this.src.isPaused() && !this.ended) this.src.resume();
  }

  /** Resolves when data, the end or an error arrives. */
  wait(): Promise<void> {
    return new Promise((resolve) => {
      this.wake = resolve;
    });
  }

  private notify(): void {
    const w = this.wake;
    this.wake = null;
    w?.();
  }

  stop(): void {
    this.src.pause();
    this.src.removeAllListeners("data");
    this.src.destroy();
  }
}

/** Decodes all of `src` through `dec` into `consume`; returns the compressed bytes read. */
export async function pumpNative(src: Readable, dec: NativeCodec, consume: (decoded: Buffer) => void): Promise<number> {
  const q = new InputQueue(src);
  let inflight: Promise<StepResult> | null = null;
  try {
    for (;;) {
      if (!inflight) {
        q.check();
        q.feed(dec);
        if (dec.pending() < Math.min(MIN_STEP_INPUT, dec.inCap) && !q.drained) {
          await q.wait();
          continue;
        }
        inflight = dec.step(q.drained && dec.pending() === 0);
      }
      const r: StepResult = await inflight;
      inflight = null;
      if (r.finished) {
        consume(r.out);
        return q.total;
      }
      // The next call starts before this output is written out, so decoding and writing overlap.
      q.check();
      q.feed(dec);
      if (r.full || dec.pending() >= Math.min(MIN_STEP_INPUT, dec.inCap) || q.drained) inflight = dec.step(q.drained && dec.pending() === 0);
      consume(r.out);
    }
  } finally {
    if (inflight) await (inflight as Promise<StepResult>).catch(() => undefined);
    dec.close();
    if (!q.drained) q.stop();
  }
}
