// Downloading one root layer over HTTP(S) into a consumer (the unpacker) as one continuous stream,
// through dropped connections, dead mirrors and servers that cannot resume.
//
// Each response is written into a Writable we own (httpGet), so backpressure from the unpacker reaches
// the socket, and a server closing the connection while the body is paused ends only that attempt.
import type { KeyObject } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { Writable, type Readable } from "node:stream";
import { log, isDebug, type Level } from "../console/log";
import { createProgress, type Progress } from "../console/progress";
import { formatBytes, formatDelay } from "../console/units";
import { clientOptions } from "./connection";
import { httpGet, type ClientOptions } from "./http-client";
import { type Proxy, proxyFor } from "./proxy";
import { backoffDelay, DEFAULT_BACKOFF, type Backoff } from "./backoff";
import { classifyFailure, type Failure } from "./classify";
import { ChecksumError, FetchError, ResponseRejected, RestartLayerError, type SourceFailure } from "./errors";
import { ChunkMismatchError, ChunkVerifier } from "./chunk-verifier";
import { LayerStream } from "./layer-stream";
import { loadManifestWith, type Manifest } from "./manifest";
import { MAX_REDIRECTS, judgeResponse, planRequest, rangeHeaders, type Plan, type Validator, type Verdict } from "./resume";

export { ChecksumError, FetchError, RestartLayerError, type SourceFailure } from "./errors";
export { ChunkMismatchError } from "./chunk-verifier";
export { ManifestError, type Manifest } from "./manifest";

export interface FetchOptions {
  /** "layer 2/3": every message starts with it and the URL. */
  label: string;
  /** Consecutive failed attempts on one URL (without a byte of progress) before moving to the next. */
  retries: number;
  /** No connection, headers or body bytes for this long: the attempt fails. Time spent paused by the consumer does not count. */
  timeoutMs: number;
  /** Expected lowercase hex sha256 of all downloaded bytes. */
  sha256?: string;
  /** Extra CA bundle (PEM), added to Node's own roots. */
  caFile?: string;
  /** Resolve host names through these servers (the DHCP lease's), not the system resolver. */
  dnsServers?: string[];
  /** With dnsServers: domains a name without a dot is tried in first (the lease's search list or domain). */
  dnsSearch?: string[];
  /** With dnsServers: 6 on an IPv6-only network (a DHCPv6 or SLAAC lease), where an A record leads nowhere. */
  dnsFamily?: 4 | 6;
  /** Console progress (default true). */
  progress?: boolean;
  signal?: AbortSignal;
  /** Full-jitter exponential backoff between attempts; default 1 s doubling up to 60 s. */
  backoff?: Backoff;
  /**
   * A verified signed manifest (loadManifest): every chunk is checked before it reaches the consumer,
   * any source may continue any other's bytes, and the consumer is never restarted. See MANIFEST.md.
   */
  manifest?: Manifest;
  /** Requests go through this HTTP proxy, except to the hosts `noProxy` names (see proxy.ts). */
  proxy?: Proxy;
  noProxy?: string[];
}

export interface SourceInfo {
  /** The source URL as given (before redirects). */
  url: string;
  /** Total bytes, when the server said. */
  size?: number;
}

/** Attempts on a source nothing answers at before the next source is tried (the last one gets every retry). */
export const UNREACHABLE_ATTEMPTS = 2;

export interface FetchResult<T> {
  result: T;
  /** The source that delivered the last bytes. */
  url: string;
  bytes: number;
  /** Hex digest of the delivered bytes, computed (and verified) only when opts.sha256 or a manifest asks for it. */
  sha256?: string;
  /** HTTP requests made, over all sources. */
  attempts: number;
  /** Times the consumer had to start again from byte 0. */
  restarts: number;
  /** Sources given up on before the one that delivered, in order. */
  failures: SourceFailure[];
}

/**
 * Downloads one layer and feeds it to `consume` as one continuous stream, hiding resumed connections.
 * When the server cannot resume (no Range support, If-Range says the file changed, another mirror without
 * a sha256) the current stream is destroyed with a RestartLayerError, `consume`'s rejection is awaited,
 * and `consume` is called again with a fresh stream from byte 0.
 * The stream never emits 'end' before the sha256 (if given) has been verified: on mismatch it is destroyed
 * with a ChecksumError, so the consumer fails, and fetchLayer rejects with it.
 * If `consume` resolves before the end of the download, the rest is still downloaded (and verified).
 * Rejects with: consume's own error when the consumer fails; ChecksumError; FetchError when every source
 * failed; opts.signal's reason when aborted. Always after `consume` has settled.
 */
export function fetchLayer<T>(
  urls: string[],
  opts: FetchOptions,
  consume: (body: Readable, info: SourceInfo) => Promise<T>,
): Promise<FetchResult<T>> {
  return new LayerDownload(urls, opts, consume).run();
}

/**
 * Fetches `URL.manifest` for a layer from its sources in turn and verifies it with the trusted Ed25519
 * `keys` and the layer's file name (MANIFEST.md). Rejects with a FetchError naming each source's problem.
 */
export function loadManifest(urls: string[], opts: FetchOptions, keys: KeyObject[]): Promise<Manifest> {
  return loadManifestWith(urls, opts.label, keys, (murls, label, consume) =>
    fetchLayer(murls, { ...opts, label, sha256: undefined, manifest: undefined, progress: false }, consume),
  );
}

const noop = () => {};

type AttemptOutcome = { verdict?: Verdict; error?: unknown };

class LayerDownload<T> {
  private readonly label: string;
  private readonly stop = new AbortController();
  private readonly backoff: Backoff;
  private readonly retries: number;
  private readonly expected?: string;
  private readonly manifest?: Manifest;
  private client!: ClientOptions;
  private pass?: LayerStream<T>;
  /** Settles when every consumer of an abandoned stream has finished: a new one must not run beside it. */
  private previousSettled: Promise<unknown> = Promise.resolve();
  private consumerError?: { error: unknown };
  private spliceFailed = false;
  private attempts = 0;
  private restarts = 0;

  constructor(
    private readonly urls: string[],
    private readonly opts: FetchOptions,
    private readonly consume: (body: Readable, info: SourceInfo) => Promise<T>,
  ) {
    this.label = opts.label;
    this.backoff = opts.backoff ?? DEFAULT_BACKOFF;
    this.retries = Math.max(1, Math.floor(opts.retries));
    this.expected = opts.sha256?.toLowerCase();
    this.manifest = opts.manifest;
  }

  async run(): Promise<FetchResult<T>> {
    const { label, opts } = this;
    if (this.urls.length === 0) throw new FetchError(label, [], `${label}: no URL to download`);
    if (this.expected !== undefined && !/^[0-9a-f]{64}$/.test(this.expected)) {
      throw new FetchError(label, [], `${label}: sha256 must be 64 hex digits, got "${opts.sha256}"`);
    }
    for (const url of this.urls) {
      let ok = false;
      try {
        ok = ["http:", "https:"].includes(new URL(url).protocol);
      } catch {}
      if (!ok) throw new FetchError(label, [], `${label}: not an http(s) URL: ${url}`);
    }
    try {
      this.client = clientOptions({ timeoutMs: opts.timeoutMs, caFile: opts.caFile, dnsServers: opts.dnsServers, dnsSearch: opts.dnsSearch, dnsFamily: opts.dnsFamily });
    } catch (err) {
      throw new FetchError(label, [], `${label}: CA bundle (tarboot.ca=) ${opts.caFile}: ${(err as Error).message}`, { cause: err });
    }
    const onAbort = () => this.stop.abort(opts.signal?.reason);
    if (opts.signal?.aborted) onAbort();
    opts.signal?.addEventListener("abort", onAbort, { once: true });
    try {
      return await this.sources();
    } catch (err) {
      const reason = this.consumerError ? this.consumerError.error : err;
      if (reason instanceof Error) this.pass?.fail(reason);
      else this.pass?.fail(new Error(String(reason)));
      await this.pass?.result.catch(noop);
      await this.previousSettled;
      throw reason;
    } finally {
      opts.signal?.removeEventListener("abort", onAbort);
    }
  }

  private say(level: Level, message: string): void {
    if (level === "debug" && !isDebug()) return;
    this.pass?.progress.interrupt();
    log(level, message);
  }

  private checkStopped(): void {
    if (this.consumerError) throw this.consumerError.error;
    if (this.stop.signal.aborted) throw this.stop.signal.reason;
  }

  private async sources(): Promise<FetchResult<T>> {
    const failures: SourceFailure[] = [];
    for (let i = 0; i < this.urls.length; i++) {
      const url = this.urls[i];
      const outcome = await this.source(url, i === this.urls.length - 1);
      if ("result" in outcome) return { ...outcome, failures };
      failures.push(outcome);
      const next = this.urls[i + 1];
      if (next !== undefined) {
        const tries = outcome.attempts > 1 ? ` after ${outcome.attempts} attempts` : "";
        this.say("warn", `${this.label} ${url}: ${outcome.cause}${tries}; trying ${next}`);
      }
    }
    throw new FetchError(this.label, failures);
  }

  /**
   * Attempts on one source URL until the layer is complete or the source is given up. A source that
   * could not be connected to at all is given up after UNREACHABLE_ATTEMPTS when another is left
   * (`last` false): a blackholed mirror must not cost retries x timeout before the next is tried.
   */
  private async source(url: string, last: boolean): Promise<Omit<FetchResult<T>, "failures"> | SourceFailure> {
    let target = url;
    let redirects = 0;
    let attempts = 0;
    let failures = 0;
    let restartsHere = 0;
    let forceFresh: string | undefined;
    /** The last answer ended cleanly short of the end (a capped range): continuing is routine, not news. */
    let continuing = false;
    /** The server answered at least once for this layer: its failures are not "nothing there". */
    let answered = false;
    for (;;) {
      this.checkStopped();
      attempts++;
      this.attempts++;
      const before = this.pass;
      const bytesBefore = before?.bytes ?? 0;
      const restartsBefore = this.restarts;
      const plan = planRequest({
        bytes: bytesBefore,
        validator: before?.validator,
        sourceUrl: url,
        spliceGuard: this.manifest !== undefined || (this.expected !== undefined && !this.spliceFailed),
        forceFresh,
      });
      forceFresh = undefined;
      this.announce(url, plan, continuing ? "debug" : "info");
      continuing = false;
      const outcome = await this.attempt(url, target, plan);
      const { verdict } = outcome;
      if (verdict) answered = true;
      let { error } = outcome;
      this.checkStopped();
      restartsHere += this.restarts - restartsBefore;

      if (error === undefined) {
        const done = await this.complete(url);
        if (done) return done;
        const p = this.pass;
        if (p !== before || (p?.bytes ?? 0) > bytesBefore) {
          failures = 0;
          continuing = p === before;
          continue;
        }
        // A clean end that brought nothing (an empty partial answer): retrying at once would spin.
        error = new ResponseRejected(`response ended early at ${formatBytes(p?.bytes ?? 0)}`, false);
      }
      if (verdict?.kind === "redirect") {
        attempts--;
        let next: URL | undefined;
        try {
          next = new URL(verdict.location, target);
        } catch {}
        if (!next || !["http:", "https:"].includes(next.protocol)) {
          return { url, cause: `redirected to an unusable location: ${verdict.location}`, attempts: attempts + 1, permanent: true };
        }
        if (++redirects > MAX_REDIRECTS) return { url, cause: "too many redirects", attempts: attempts + 1, permanent: true };
        this.say("debug", `${this.label} ${url}: redirected to ${next.href}`);
        target = next.href;
        continue;
      }

      const f: Failure = classifyFailure(error, { timeoutMs: this.opts.timeoutMs });
      const progressed = this.pass !== before || (this.pass?.bytes ?? 0) > bytesBefore;
      if (progressed) failures = 0;
      if (f.retryFresh) forceFresh = f.cause;
      // (A chunk mismatch names its own position.)
      const at = this.pass && this.pass.bytes > 0 && !(error instanceof ChunkMismatchError) ? ` at ${formatBytes(this.pass.bytes)}` : "";
      const status = f.status !== undefined ? { status: f.status } : {};
      if (f.permanent) return { url, cause: f.cause, attempts, permanent: true, ...status };
      if (restartsHere > this.retries) {
        return { url, cause: `${f.cause}, and the server cannot resume (${restartsHere} restarts)`, attempts, permanent: false, ...status };
      }
      failures++;
      if (failures >= this.retries) return { url, cause: `${f.cause}${at}`, attempts, permanent: false, ...status };
      if (f.unreachable && !answered && !last && failures >= UNREACHABLE_ATTEMPTS) return { url, cause: f.cause, attempts, permanent: false };
      const delay = backoffDelay(failures, this.backoff, Math.random, f.retryAfterMs);
      this.say("warn", `${this.label} ${url}: ${f.cause}${at}, retry ${failures}/${this.retries - 1} in ${formatDelay(delay)}`);
      try {
        await sleep(delay, undefined, { signal: this.stop.signal });
      } catch {
        this.checkStopped();
      }
    }
  }

  private announce(url: string, plan: Plan, level: Level): void {
    if (plan.range === undefined) return;
    const at = formatBytes(plan.range);
    if (plan.ifRange !== undefined) this.say(level, `${this.label} ${url}: resuming at ${at} (If-Range ${plan.ifRange})`);
    else if (this.manifest) this.say(level, `${this.label} ${url}: resuming at ${at} (the manifest checks each chunk)`);
    else this.say(level, `${this.label} ${url}: resuming at ${at} without a validator (the sha256 checks the result)`);
  }

  /** One HTTP request; its body, if usable, flows into the consumer's stream. */
  private async attempt(url: string, target: string, plan: Plan): Promise<AttemptOutcome> {
    const u = new URL(target);
    const proxy = proxyFor(u, this.opts.proxy, this.opts.noProxy);
    this.say("debug", `${this.label} ${target}: GET${plan.range !== undefined ? ` from byte ${plan.range}` : ""}${proxy ? ` via proxy ${proxy.url}` : ""}`);
    let verdict: Verdict | undefined;
    try {
      await httpGet(
        this.client,
        {
          url: u,
          headers: { "user-agent": "tarboot", "accept-encoding": "identity", ...rangeHeaders(plan) },
          signal: this.stop.signal,
          proxy,
        },
        ({ statusCode, headers }) => {
          const p = this.pass;
          verdict = judgeResponse(statusCode, headers, {
            plan,
            bytes: p?.bytes ?? 0,
            size: p?.size ?? this.manifest?.size,
            validator: p?.validator,
            sourceUrl: url,
            nowMs: Date.now(),
          });
          this.say("debug", `${this.label} ${target}: HTTP ${statusCode} (${verdict.kind})`);
          return this.accept(url, plan, verdict);
        },
      );
      return { verdict };
    } catch (error) {
      return { verdict, error };
    }
  }

  /** The Writable a response's body goes to. */
  private accept(url: string, plan: Plan, verdict: Verdict): Writable {
    const m = this.manifest;
    if (m && (verdict.kind === "continue" || verdict.kind === "restart") && verdict.size !== undefined && verdict.size !== m.size) {
      verdict = { kind: "reject", error: new ResponseRejected(`file is ${verdict.size} bytes, the manifest says ${m.size}`, true) };
    }
    if (m && verdict.kind === "restart" && this.pass) {
      // Every chunk is checked: the bytes already held are skipped in the full answer, no restart needed.
      const p = this.pass;
      this.say("info", `${this.label} ${url}: ${verdict.reason}: skipping the ${formatBytes(p.bytes)} already held (the manifest checks each chunk)`);
      p.validator = verdict.validator;
      p.url = url;
      return p.sink(p.bytes);
    }
    if (verdict.kind === "continue") {
      let p = this.pass;
      if (!p) {
        p = this.startPass(url, verdict.size, verdict.validator);
      } else {
        if (p.bytes === 0) p.size = m?.size ?? verdict.size;
        if (verdict.validator) p.validator = verdict.validator;
        if (plan.unvalidated && !m) p.unvalidatedSplice = true;
        p.url = url;
      }
      return p.sink();
    }
    if (verdict.kind === "restart") {
      this.restartPass(url, verdict.reason);
      return this.startPass(url, verdict.size, verdict.validator).sink();
    }
    const refusal = verdict.kind === "reject" ? verdict.error : new ResponseRejected("redirect", false);
    const discard = new Writable({ write: (_chunk, _enc, cb) => cb() });
    discard.destroy(refusal);
    return discard;
  }

  private startPass(url: string, size: number | undefined, validator: Validator | undefined): LayerStream<T> {
    const total = this.manifest?.size ?? size;
    const progress: Progress =
      this.opts.progress === false ? { update: noop, done: noop, interrupt: noop } : createProgress(`${this.label} ${url}`, total);
    const m = this.manifest;
    const p = new LayerStream<T>(url, progress, m ? new ChunkVerifier(m) : undefined, this.expected !== undefined || m !== undefined);
    p.size = m?.size ?? size;
    p.validator = validator;
    p.result = this.previousSettled.then(() => this.consume(p.body, { url, size: p.size }));
    p.result.then(
      () => {
        // The consumer is done before the download is (a tar reader stops at the end-of-archive blocks):
        // the rest is still downloaded, so that the sha256 covers every byte.
        if (p === this.pass && !p.body.writableEnded) p.detach();
      },
      (error: unknown) => {
        if (p === this.pass && !p.ownError && !this.consumerError) {
          this.consumerError = { error };
          this.stop.abort(error);
        }
      },
    );
    this.pass = p;
    return p;
  }

  /** Abandons the current stream: its consumer fails with RestartLayerError; the next one starts after it settled. */
  private restartPass(url: string, reason: string): void {
    const old = this.pass;
    if (!old) return;
    const err = new RestartLayerError(this.label, url, reason);
    this.say("warn", err.message);
    old.fail(err);
    const settledBefore = this.previousSettled;
    this.previousSettled = Promise.all([settledBefore, old.result.then(noop, noop)]);
    this.pass = undefined;
    this.restarts++;
  }

  /** A response body ended normally. Undefined when more requests are needed. */
  private async complete(url: string): Promise<Omit<FetchResult<T>, "failures"> | undefined> {
    const p = this.pass;
    if (!p) throw new Error(`${this.label} ${url}: response completed without a stream (internal error)`);
    if (p.size !== undefined && p.bytes < p.size) {
      // A server may cap the length of a range answer: ask for the rest.
      this.say("debug", `${this.label} ${url}: partial answer ended at ${p.bytes} of ${p.size} bytes`);
      return undefined;
    }
    if (p.size !== undefined && p.bytes > p.size) {
      const err = new FetchError(this.label, [], `${this.label} ${url}: server sent ${p.bytes} bytes of a ${p.size}-byte file`);
      throw err;
    }
    const digest = p.digest();
    if (this.manifest && digest !== undefined && digest !== this.manifest.sha256) {
      // Every chunk matched but the whole does not: the signed manifest contradicts itself.
      const err = new ChecksumError(this.label, url, this.manifest.sha256, digest);
      p.fail(err);
      throw err;
    }
    if (this.expected !== undefined && digest !== undefined && digest !== this.expected) {
      if (p.unvalidatedSplice && !this.spliceFailed) {
        // The splice may have joined two different files; the file itself may still be right.
        this.spliceFailed = true;
        this.restartPass(url, "sha256 mismatch after resuming without a validator");
        return undefined;
      }
      const err = new ChecksumError(this.label, url, this.expected, digest);
      p.fail(err);
      throw err;
    }
    if (!p.detached) p.body.end();
    p.progress.done();
    const result = await p.result;
    return { result, url, bytes: p.delivered, sha256: digest, attempts: this.attempts, restarts: this.restarts };
  }
}
