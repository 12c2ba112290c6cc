// Streams one layer (a possibly compressed tarball) into a root directory: sniff the
// compression from the first bytes, decode on the thread pool, parse and write synchronously on
// the main thread. Backpressure is the pipeline's: nothing is read faster than it is written.
import { realpathSync, statSync } from "node:fs";
import { Readable, Transform, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createDecoder, DECODER_HEAD_BYTES, UnsupportedCompressionError } from "./decompress";
import { loadLzma } from "./lzma";
import { detectCompression, type Compression } from "./detect";
import { display, UnsafeNameError } from "./names";
import { TarFormatError, TarReader } from "./reader";
import { ContainmentError } from "./root";
import { EntryError, TreeWriter, type WriterStats } from "./writer";

export type { Compression } from "./detect";

/** Input bytes gathered before they go to the decoder (or the tar reader). */
const INPUT_BATCH = 256 * 1024;

export interface ExtractOptions {
  /** Names the layer in every message, e.g. "layer 2/3 http://srv/x.tar.zst". */
  label: string;
  /** Appended to the "no space left" message; default "raise rootsize=". */
  noSpaceHint?: string;
}

export interface ExtractStats extends WriterStats {
  compression: Compression;
  /** Members created (files, directories, links, devices). */
  entries: number;
  /** Bytes of (decompressed) tar stream parsed, up to the end-of-archive marker. */
  tarBytes: number;
  /** Bytes read from the input (compressed). */
  inputBytes: number;
  seconds: number;
}

/** A failed layer: the message names the layer, the entry when there is one, and the cause. */
export class ExtractError extends Error {
  readonly label: string;
  readonly entry: string | undefined;
  readonly code: string | undefined;
  constructor(label: string, message: string, opts: { entry?: string; code?: string; cause?: unknown } = {}) {
    super(`${label}: ${message}`, { cause: opts.cause });
    this.name = "ExtractError";
    this.label = label;
    this.entry = opts.entry;
    this.code = opts.code;
  }
}

export async function extract(input: NodeJS.ReadableStream | Readable, root: string, opts: ExtractOptions): Promise<ExtractStats> {
  const t0 = performance.now();
  const label = opts.label;
  let rootReal: string;
  try {
    rootReal = realpathSync(root);
    if (!statSync(rootReal).isDirectory()) throw new Error("not a directory");
  } catch (e) {
    destroy(input);
    throw new ExtractError(label, `cannot unpack into ${root}: ${(e as Error).message}`, { cause: e });
  }

  // Which stream failed first: pipeline() then destroys the others with the same error, so the
  // first 'error' event is the only reliable witness of where a failure came from.
  let origin: { from: "input" | "decoder" | "other"; err: unknown } | null = null;
  const witness = (from: "input" | "decoder" | "other") => (err: unknown) => {
    origin ??= { from, err };
  };
  const src0 = input instanceof Readable ? input : new Readable().wrap(input);
  src0.on("error", witness("input"));
  const { head, stream: src } = await peek(src0, DECODER_HEAD_BYTES).catch((e) => {
    throw e;
  });
  if (src !== src0) src.on("error", witness("input"));
  if (head.length === 0) throw new ExtractError(label, "empty input: not a tar archive");

  const compression = detectCompression(head);
  let decoder: Transform | null = null;
  if (compression !== "none") {
    if (compression === "xz") await loadLzma();
    try {
      decoder = createDecoder(compression, head);
    } catch (e) {
      src.destroy();
      if (e instanceof UnsupportedCompressionError) throw new ExtractError(label, e.message);
      throw e;
    }
    decoder.on("error", witness("decoder"));
  }

  let inputBytes = 0;
  // Network reads arrive in pieces of a few KiB to 64 KiB, and each piece handed to zlib is a round
  // trip to the thread pool (in a TCG guest, most of the main thread's time on a 200 MB layer was
  // per-chunk stream overhead). What arrives within one turn of the event loop is handed on as one
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
  const writer = new TreeWriter(rootReal);
  const reader = new TarReader(writer);
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
    writer.finish();
  } catch (e) {
    writer.abort();
    const first = origin as { from: string; err: unknown } | null;
    // The source's own failure (a checksum mismatch, a restart) goes back to its owner unchanged.
    if (first?.from === "input") throw first.err;
    const decoderError = first?.from === "decoder" ? first.err : null;
    throw describe(e, { label, compression, where: reader.where, decoderError, hint: opts.noSpaceHint ?? "raise rootsize=" });
  }
  const s = writer.stats;
  return {
    ...s,
    compression,
    entries: s.files + s.dirs + s.symlinks + s.hardlinks + s.special,
    tarBytes: reader.position,
    inputBytes,
    seconds: (performance.now() - t0) / 1000,
  };
}

function describe(
  e: unknown,
  ctx: { label: string; compression: Compression; where: string | null; decoderError: unknown; hint: string },
): ExtractError {
  const err = e as Error & { code?: string };
  const inEntry = ctx.where !== null ? ` in entry ${display(ctx.where)}` : "";
  if (e === ctx.decoderError) {
    const truncated = /unexpected end|premature|truncat|no progress is possible/i.test(err.message) || err.code === "Z_BUF_ERROR";
    const what = truncated ? `${ctx.compression} stream is truncated` : `corrupt ${ctx.compression} data`;
    return new ExtractError(ctx.label, `${what} (${err.message})${inEntry}`, { entry: ctx.where ?? undefined, code: err.code, cause: e });
  }
  if (e instanceof TarFormatError) {
    const msg = ctx.compression !== "none" && e.message.startsWith("not a tar archive") ? `${e.message}, after ${ctx.compression} decompression` : e.message;
    return new ExtractError(ctx.label, msg, { entry: ctx.where ?? undefined, cause: e });
  }
  if (e instanceof EntryError) {
    const msg = e.code === "ENOSPC" || e.code === "EDQUOT" ? `${e.message}; ${ctx.hint}` : e.message;
    return new ExtractError(ctx.label, msg, { entry: e.entry, code: e.code, cause: e });
  }
  if (e instanceof ContainmentError || e instanceof UnsafeNameError) {
    return new ExtractError(ctx.label, e.message, { entry: ctx.where ?? undefined, cause: e });
  }
  return new ExtractError(ctx.label, `${err.message ?? String(e)}${inEntry}`, { entry: ctx.where ?? undefined, code: err.code, cause: e });
}

function destroy(input: NodeJS.ReadableStream | Readable): void {
  if (typeof (input as Readable).destroy === "function") (input as Readable).destroy();
}

/**
 * Reads at least `n` bytes (fewer at end of input) without losing them: they are pushed back
 * onto the stream, or, when the stream has already ended, a new stream carries them.
 */
function peek(src: Readable, n: number): Promise<{ head: Buffer; stream: Readable }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let len = 0;
    const cleanup = () => {
      src.off("readable", onReadable);
      src.off("end", onEnd);
      src.off("error", onError);
    };
    const onReadable = () => {
      let c: Buffer | string | null;
      while (len < n && (c = src.read()) !== null) {
        const b = typeof c === "string" ? Buffer.from(c) : c;
        chunks.push(b);
        len += b.length;
      }
      if (len >= n) {
        cleanup();
        const head = Buffer.concat(chunks);
        src.unshift(head);
        resolve({ head, stream: src });
      }
    };
    const onEnd = () => {
      cleanup();
      const head = Buffer.concat(chunks);
      resolve({ head, stream: Readable.from(head.length > 0 ? [head] : []) });
    };
    const onError = (e: Error) => {
      cleanup();
      reject(e);
    };
    src.on("readable", onReadable);
    src.on("end", onEnd);
    src.on("error", onError);
  });
}
