// Streams one layer (a possibly compressed tarball) into a root directory: sniff the
// compression from the first bytes, decode on the thread pool, parse and write synchronously on
// the main thread. Backpressure throughout: nothing is read much faster than it is written.
import { realpathSync, statSync } from "node:fs";
import { Readable } from "node:stream";
import { DecodeError } from "../sys/native-codec";
import { createDecoder, type Decoder } from "./decompress";
import { detectCompression, SNIFF_BYTES, type Compression } from "./detect";
import { InputFailure } from "./input-failure";
import { pumpNative } from "./native-pump";
import { pumpStream, ZlibFailure } from "./stream-pump";
import { display, UnsafeNameError } from "./names";
import { TarFormatError, TarReader } from "./reader";
import { ContainmentError } from "./root";
import { EntryError, TreeWriter, type WriterStats } from "./writer";

export type { Compression } from "./detect";

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

  const src0 = input instanceof Readable ? input : new Readable().wrap(input);
  // Held from here on: an error between the peek and the pump taking over must not go unhandled
  // (the pumps see it through `errored`).
  src0.on("error", () => {});
  const { head, stream: src } = await peek(src0, SNIFF_BYTES);
  if (head.length === 0) throw new ExtractError(label, "empty input: not a tar archive");

  const compression = detectCompression(head);
  let decoder: Decoder | null = null;
  if (compression !== "none") {
    try {
      decoder = createDecoder(compression);
    } catch (e) {
      src.destroy();
      if (e instanceof DecodeError) throw new ExtractError(label, `cannot decode ${compression}: ${e.message}`, { code: e.code, cause: e });
      throw e;
    }
  }

  const writer = new TreeWriter(rootReal);
  const reader = new TarReader(writer);
  let inputBytes = 0;
  try {
    if (decoder?.kind === "native") {
      inputBytes = await pumpNative(src, decoder.native, (chunk) => reader.push(chunk));
      reader.end();
    } else {
      inputBytes = await pumpStream(src, decoder?.stream ?? null, reader);
    }
    writer.finish();
  } catch (e) {
    writer.abort();
    // The source's own failure (a checksum mismatch, a restart) goes back to its owner unchanged.
    if (e instanceof InputFailure) throw e.error;
    throw describe(e, { label, compression, where: reader.where, hint: opts.noSpaceHint ?? "raise rootsize=" });
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
  ctx: { label: string; compression: Compression; where: string | null; hint: string },
): ExtractError {
  const err = e as Error & { code?: string };
  const inEntry = ctx.where !== null ? ` in entry ${display(ctx.where)}` : "";
  if (e instanceof DecodeError || e instanceof ZlibFailure) {
    const cause = e instanceof ZlibFailure ? e.error : e;
    const truncated = e instanceof DecodeError ? e.truncated : /unexpected end/i.test(cause.message) || cause.code === "Z_BUF_ERROR";
    const what = truncated ? `${ctx.compression} stream is truncated` : `corrupt ${ctx.compression} data`;
    return new ExtractError(ctx.label, `${what} (${cause.message})${inEntry}`, { entry: ctx.where ?? undefined, code: cause.code, cause });
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
