// The one continuous byte stream a consumer (the decompressor and tar extractor) reads for a layer,
// fed by as many HTTP responses as it takes. Each response writes through its own short-lived Writable
// ("sink"), so that the HTTP client destroying a sink when a connection drops leaves the consumer's stream open
// for the resumed response to continue. With a manifest, a ChunkVerifier sits in between and only
// verified chunks reach the consumer.
import type { Hash } from "node:crypto";
import { sha256 } from "./sha256";
import { PassThrough, Writable } from "node:stream";
import type { Progress } from "../console/progress";
import type { ChunkVerifier } from "./chunk-verifier";
import type { Validator } from "./resume";

/** Bytes buffered between the network and the consumer before the socket is paused. */
export const BODY_HIGH_WATER_MARK = 1 << 20;
/** Per-response buffer: small, so that backpressure reaches the socket (and TCP) promptly. */
const SINK_HIGH_WATER_MARK = 64 * 1024;

export class LayerStream<T> {
  readonly body = new PassThrough({ highWaterMark: BODY_HIGH_WATER_MARK });
  /** Only when a checksum or manifest will be compared: hashing every byte is not free (under emulation, seconds a layer). */
  private readonly hash: Hash | null;
  private received = 0;
  /** Bytes handed on (written into `body`, or counted after detach) and hashed. */
  delivered = 0;
  size?: number;
  validator?: Validator;
  /** Some bytes came from a resume no validator vouched for: only the sha256 proves the whole. */
  unvalidatedSplice = false;
  /** Set when the download destroyed `body` itself: the consumer's rejection that follows is expected. */
  ownError?: Error;
  /** The consumer's promise for this stream. */
  result!: Promise<T>;
  /** The consumer has returned: bytes are still downloaded and hashed, but no longer handed on. */
  detached = false;
  /** The source URL whose response is (or was last) feeding the stream. */
  url: string;

  constructor(
    url: string,
    readonly progress: Progress,
    readonly verifier: ChunkVerifier | undefined,
    hashing: boolean,
  ) {
    this.url = url;
    this.hash = hashing ? sha256() : null;
  }

  /** Where a resumed response must start: bytes received and kept (verified, or held in the current chunk). */
  get bytes(): number {
    return this.verifier ? this.verifier.position : this.received;
  }

  /**
   * A Writable for one response body: forwards into `body`, holding the response while `body` is full.
   * `skip`: leading bytes of the response already held (a full answer to a Range request).
   */
  sink(skip = 0): Writable {
    const body = this.body;
    let toSkip = skip;
    return new Writable({
      highWaterMark: SINK_HIGH_WATER_MARK,
      write: (chunk: Buffer, _encoding, callback) => {
        if (toSkip > 0) {
          const n = Math.min(toSkip, chunk.length);
          toSkip -= n;
          chunk = chunk.subarray(n);
          if (chunk.length === 0) {
            callback();
            return;
          }
        }
        if (this.detached) {
          callback(this.take(chunk).error);
          return;
        }
        if (body.destroyed) {
          this.afterClose(chunk, callback);
          return;
        }
        const { out, error } = this.take(chunk);
        let room = true;
        for (const b of out) room = body.write(b);
        if (error || room) {
          callback(error);
          return;
        }
        const onDrain = () => done();
        const onClose = () => done(true);
        const done = (closed?: boolean) => {
          body.off("drain", onDrain);
          body.off("close", onClose);
          if (closed) this.afterClose(undefined, callback);
          else callback();
        };
        body.on("drain", onDrain);
        body.on("close", onClose);
      },
    });
  }

  /** Accounts for bytes from the network: what may be handed on now, and a verification failure. */
  private take(chunk: Buffer): { out: Buffer[]; error?: Error } {
    let out = [chunk];
    let error: Error | undefined;
    if (this.verifier) ({ released: out, error } = this.verifier.push(chunk));
    else this.received += chunk.length;
    for (const b of out) {
      this.hash?.update(b);
      this.delivered += b.length;
    }
    this.progress.update(this.bytes);
    return { out, error };
  }

  /**
   * The consumer's stream is gone. If the download closed it, this response is over. Otherwise the
   * consumer did: it either failed (the response is aborted with its error) or returned early (the rest
   * is still downloaded and hashed, see detach()).
   */
  private afterClose(chunk: Buffer | undefined, callback: (err?: Error | null) => void): void {
    if (this.ownError) {
      callback(this.ownError);
      return;
    }
    this.result.then(
      () => {
        this.detached = true;
        callback(chunk ? this.take(chunk).error : undefined);
      },
      (err: unknown) => callback(err instanceof Error ? err : new Error(String(err))),
    );
  }

  /** The consumer returned before the end: keep downloading (the sha256 covers every byte) into nothing. */
  detach(): void {
    this.detached = true;
    if (!this.body.destroyed) this.body.destroy();
  }

  /** The digest of every byte delivered (when hashing); call once, when the download is complete. */
  digest(): string | undefined {
    return this.hash?.digest("hex");
  }

  /** Ends the consumer's stream with `err` (no-op if it already ended or failed). */
  fail(err: Error): void {
    if (this.body.destroyed) return;
    this.ownError = err;
    this.progress.interrupt();
    this.body.destroy(err);
  }
}
