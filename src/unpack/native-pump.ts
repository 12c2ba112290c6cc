// Drives a system-library codec (src/sys/zstd.ts, xz.ts): compressed input is queued as it
// arrives, copied into the codec between calls, and each decoded buffer is handed to `consume`
// (the tar reader, which writes synchronously) while the next calls already run on the thread pool.
// No Node stream sits between the decoder and the tar reader: in a TCG guest the per-chunk stream
// machinery, not the decoding, was where the main thread's time went.
import type { Readable } from "node:stream";
import type { NativeCodec, StepResult } from "../sys/native-codec";
import { InputFailure } from "./input-failure";

/** Compressed bytes queued before the source is paused. */
const QUEUE_HIGH = 4 * 1024 * 1024;

// Input a decoding call waits for (unless the input has ended). A network delivers a few KiB to
// 64 KiB at a time; calling the decoder for each piece cost, in a TCG guest, 0.7 ms a call plus
// the writes of correspondingly small pieces of files: 2.2 s and 2.5 s on a 200 MB layer. 1 MiB
// rather than 256 KiB: on the incompressible 200M bench root in the guest, ~1 s less from a URL,
// a pipe and a file alike (17.1-18.2 s against 18.9-19.3 s from the URL); no change on the host.
const MIN_STEP_INPUT = 1024 * 1024;

/** Decoded bytes handed to `consume` at a time, with a turn of the event loop in between. */
const SLICE = 512 * 1024;

class InputQueue {
  private chunks: Buffer[] = [];
  private bytes = 0;
  ended = false;
  private failure: unknown = null;
  total = 0;

  constructor(
    private readonly src: Readable,
    private readonly onChange: () => void,
  ) {
    src.on("data", (c: Buffer | string) => {
      const b = typeof c === "string" ? Buffer.from(c) : c;
      this.chunks.push(b);
      this.bytes += b.length;
      this.total += b.length;
      if (this.bytes >= QUEUE_HIGH) src.pause();
      this.onChange();
    });
    src.on("end", () => {
      this.ended = true;
      this.onChange();
    });
    src.on("error", (e) => {
      this.failure ??= e;
      this.onChange();
    });
    // Failed before we listened: no 'error' or 'end' will come.
    if (src.errored) this.failure = src.errored;
    src.resume();
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

  stop(): void {
    this.src.pause();
    this.src.removeAllListeners("data");
    this.src.destroy();
  }
}

/**
 * Decodes all of `src` through `dec` into `consume`; returns the compressed bytes read. The codec
 * is driven from callbacks (input arriving, a call returning), so a call starts as soon as there
 * is input and a free output buffer, also while earlier output is being written: `consume` gets
 * slices with a turn of the event loop between them, which is when those callbacks run.
 */
export async function pumpNative(src: Readable, dec: NativeCodec, consume: (decoded: Buffer) => void): Promise<number> {
  const ready: StepResult[] = [];
  let inflight: Promise<void> | null = null;
  let holding = 0; // output buffers the consumer is writing out (0 or 1)
  let lastFull = false;
  let finished = false;
  let failure: unknown = null;
  let wake: (() => void) | null = null;
  const signal = () => {
    const w = wake;
    wake = null;
    w?.();
  };
  const minInput = Math.min(MIN_STEP_INPUT, dec.inCap);

  const dispatch = (): void => {
    if (inflight || finished || failure !== null) return;
    // The call about to start reuses the output buffer of the call outCount back: it must not be
    // one still waiting in `ready` or being written out (those are the latest outputs, in order).
    if (ready.length + holding > dec.outCount - 1) return;
    try {
      q.check();
      q.feed(dec);
    } catch (e) {
      failure = e;
      signal();
      return;
    }
    if (!(lastFull || dec.pending() >= minInput || q.drained)) return;
    inflight = dec.step(q.drained && dec.pending() === 0).then(
      (r) => {
        inflight = null;
        lastFull = r.full;
        ready.push(r);
        if (r.finished) finished = true;
        signal();
        dispatch();
      },
      (e) => {
        inflight = null;
        failure ??= e;
        signal();
      },
    );
  };

  const q = new InputQueue(src, () => {
    dispatch();
    signal();
  });
  try {
    dispatch();
    for (;;) {
      if (failure !== null) throw failure;
      const r = ready.shift();
      if (!r) {
        if (finished) return q.total;
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
        continue;
      }
      holding = 1;
      for (let off = 0; off < r.out.length; off += SLICE) {
        if (off > 0) await new Promise<void>((resolve) => setImmediate(resolve));
        consume(r.out.subarray(off, Math.min(off + SLICE, r.out.length)));
      }
      holding = 0;
      dispatch();
    }
  } finally {
    failure ??= "stopped";
    if (inflight) await (inflight as Promise<void>);
    dec.close();
    if (!q.drained) q.stop();
  }
}
