// Drives the node:zlib path (gzip, and plain tar with no decoder): source → batching → decoder →
// the tar reader. Failures come back tagged with where they started, since pipeline() destroys
// every stream with the first error and only the first 'error' event tells them apart.
import { Transform, Writable, type Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { InputFailure } from "./input-failure";
import type { TarReader } from "./reader";

/** Input bytes gathered before they go to the decoder (or the tar reader). */
const INPUT_BATCH = 256 * 1024;

/** A zlib failure (corrupt or truncated data). */
export class ZlibFailure extends Error {
  constructor(readonly error: Error & { code?: string }) {
    super(error.message);
    this.name = "ZlibFailure";
  }
}

/** Pushes all of `src` (through `decoder` when given) into `reader`; returns the bytes read. */
export async function pumpStream(src: Readable, decoder: Transform | null, reader: TarReader): Promise<number> {
  let origin: { from: "input" | "decoder" | "other"; err: unknown } | null = null;
  const witness = (from: "input" | "decoder" | "other") => (err: unknown) => {
    origin ??= { from, err };
  };
  // Failed before we listened: its 'error' has been emitted already.
  if (src.errored) throw new InputFailure(src.errored);
  src.on("error", witness("input"));
  decoder?.on("error", witness("decoder"));

  let inputBytes = 0;
  // Network reads arrive in pieces of a few KiB to 64 KiB, and each piece handed to zlib is a round
  // trip to the thread pool. What arrives within one turn of the event loop is handed on as one
  // write, up to INPUT_BATCH; nothing waits for more input than is already there.
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let flushQueued = false;
  const takePending = (): Buffer => {
    const b = pending.length === 1 ? pending[0] : Buffer.concat(pending, pendingBytes);
    pending = [];
    pendingBytes = 0;
    return b;
  };
  const counter = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      inputBytes += chunk.length;
      pending.push(chunk);
      pendingBytes += chunk.length;
      if (pendingBytes >= INPUT_BATCH) {
        cb(null, takePending());
        return;
      }
      if (!flushQueued) {
        flushQueued = true;
        setImmediate(() => {
          flushQueued = false;
          if (pendingBytes > 0 && !counter.destroyed) counter.push(takePending());
        });
      }
      cb();
    },
    flush(cb) {
      cb(null, pendingBytes > 0 ? takePending() : undefined);
    },
  });
  // The writing happens in a later turn of the event loop, not inside the decoder's callback:
  // zlib only queues its next slice of work on the thread pool once that callback returns, so
  // processing the chunk there would make decoding and writing take turns instead of overlapping.
  const sink = new Writable({
    highWaterMark: 1024 * 1024,
    write(chunk: Buffer, _enc, cb) {
      setImmediate(() => {
        // The pipeline failed meanwhile (the source was destroyed): write nothing more.
        if (sink.destroyed) return cb();
        try {
          reader.push(chunk);
        } catch (e) {
          return cb(e as Error);
        }
        cb();
      });
    },
    final(cb) {
      try {
        reader.end();
      } catch (e) {
        return cb(e as Error);
      }
      cb();
    },
  });
  counter.on("error", witness("other"));
  sink.on("error", witness("other"));
  try {
    await pipeline(decoder ? [src, counter, decoder, sink] : [src, counter, sink]);
  } catch (e) {
    const first = origin as { from: string; err: unknown } | null;
    if (first?.from === "input") throw new InputFailure(first.err);
    if (first?.from === "decoder") throw new ZlibFailure(first.err as Error);
    throw e;
  }
  return inputBytes;
}
