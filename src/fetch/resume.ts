// Resuming a download after a dropped connection, as pure decisions: what to ask for (Range, If-Range),
// and what a response means for the stream the decompressor is reading (continue it, restart it from
// byte 0, follow a redirect, or give up on this attempt).
//
// Splicing bytes of two different files would feed the decompressor garbage that it may not even
// detect, so a resumed range is only accepted when something proves it belongs to the same file:
//  - If-Range with a strong ETag, or with a Last-Modified date that RFC 9110 §13.1.5/§8.8.2.2 lets a
//    client use (no ETag at all, and the date at least one second older than the response's Date);
//    the server then answers 206 only if the file is unchanged, else 200 with the whole new file;
//  - or the layer's sha256, which checks the spliced whole at the end, or a signed manifest, which
//    checks every chunk (then Range is sent without If-Range: after a mirror switch, or when the
//    server gave no usable validator).
// Without either, the layer is downloaded again from byte 0.
import { ResponseRejected } from "./errors";
import type { ResponseHeaders } from "./http-response";
import { parseRetryAfter } from "./backoff";
import { formatBytes } from "../console/units";

export type { ResponseHeaders } from "./http-response";

export function header(h: ResponseHeaders, name: string): string | undefined {
  const v = h[name];
  return Array.isArray(v) ? v[0] : v;
}

/** What proves a later partial response belongs to the file already half-read. */
export interface Validator {
  /** The source URL (as given, before redirects) that produced it: meaningless on another mirror. */
  url: string;
  etag?: string;
  lastModified?: string;
  /** The If-Range value RFC 9110 allows, if any. */
  ifRange?: string;
}

export function isStrongEtag(etag: string): boolean {
  return /^"[\x21\x23-\x7e\x80-\xff]*"$/.test(etag);
}

/** The If-Range value a client may send for a representation received with these headers. */
export function ifRangeFor(h: ResponseHeaders): string | undefined {
  const etag = header(h, "etag");
  if (etag !== undefined) return isStrongEtag(etag.trim()) ? etag.trim() : undefined;
  const lm = header(h, "last-modified");
  const date = header(h, "date");
  if (!lm || !date) return undefined;
  const lmMs = Date.parse(lm);
  const dateMs = Date.parse(date);
  if (Number.isNaN(lmMs) || Number.isNaN(dateMs) || dateMs - lmMs < 1000) return undefined;
  return lm;
}

export function validatorFrom(url: string, h: ResponseHeaders): Validator {
  return { url, etag: header(h, "etag"), lastModified: header(h, "last-modified"), ifRange: ifRangeFor(h) };
}

export interface ContentRange {
  start: number;
  end: number;
  complete?: number;
}

/** `bytes 100-199/1000` or `bytes 100-199/*`. */
export function parseContentRange(value: string | undefined): ContentRange | undefined {
  const m = /^\s*bytes\s+(\d+)-(\d+)\/(\d+|\*)\s*$/i.exec(value ?? "");
  if (!m) return undefined;
  const start = Number(m[1]);
  const end = Number(m[2]);
  if (end < start) return undefined;
  return { start, end, complete: m[3] === "*" ? undefined : Number(m[3]) };
}

function contentLength(h: ResponseHeaders): number | undefined {
  const v = header(h, "content-length");
  return v !== undefined && /^\d+$/.test(v.trim()) ? Number(v) : undefined;
}

export interface Plan {
  /** Send `Range: bytes=N-`. */
  range?: number;
  ifRange?: string;
  /** The resumed bytes are only guarded by the sha256 at the end. */
  unvalidated?: boolean;
  /** Why a download that had bytes starts from 0 instead (for the console). */
  freshReason?: string;
}

export interface PlanInput {
  /** Bytes already handed to the consumer. */
  bytes: number;
  validator?: Validator;
  sourceUrl: string;
  /** Something checks spliced bytes: a manifest, or a sha256 that a splice has not already failed. */
  spliceGuard: boolean;
  /** A partial answer did not fit: ask for the whole file. */
  forceFresh?: string;
}

export function planRequest(s: PlanInput): Plan {
  if (s.bytes === 0) return {};
  if (s.forceFresh) return { freshReason: s.forceFresh };
  const sameSource = s.validator?.url === s.sourceUrl;
  if (sameSource && s.validator?.ifRange) return { range: s.bytes, ifRange: s.validator.ifRange };
  if (s.spliceGuard) return { range: s.bytes, unvalidated: true };
  return {
    freshReason: sameSource
      ? "server gave no strong validator (ETag or Last-Modified) to resume safely"
      : "another mirror cannot continue the bytes of the previous one without a sha256",
  };
}

export function rangeHeaders(p: Plan): Record<string, string> {
  const h: Record<string, string> = {};
  if (p.range !== undefined) h.range = `bytes=${p.range}-`;
  if (p.ifRange !== undefined) h["if-range"] = p.ifRange;
  return h;
}

export type Verdict =
  /** The body continues the current stream (or starts it, when nothing was delivered yet). */
  | { kind: "continue"; size?: number; validator?: Validator }
  /** The body is the whole file again: the consumer must start over with it. */
  | { kind: "restart"; reason: string; size?: number; validator: Validator }
  | { kind: "redirect"; location: string }
  | { kind: "reject"; error: ResponseRejected };

export interface JudgeInput {
  plan: Plan;
  bytes: number;
  /** Total size of the file being streamed, when known. */
  size?: number;
  validator?: Validator;
  sourceUrl: string;
  nowMs: number;
}

export function statusText(status: number): string {
  // node:http only for its reason phrases, and only on a failure: loading it brings ~40 modules.
  const text = process.getBuiltinModule("node:http").STATUS_CODES[status];
  return text ? `HTTP ${status} ${text}` : `HTTP ${status}`;
}

function describeChange(old: Validator | undefined, h: ResponseHeaders): string | undefined {
  if (!old) return undefined;
  const etag = header(h, "etag");
  if (old.etag !== undefined && etag !== undefined && old.etag !== etag) return `file changed on the server (ETag ${old.etag} -> ${etag})`;
  const lm = header(h, "last-modified");
  if (old.etag === undefined && old.lastModified !== undefined && lm !== undefined && old.lastModified !== lm) {
    return `file changed on the server (Last-Modified ${old.lastModified} -> ${lm})`;
  }
  return undefined;
}

/** Statuses whose Location is followed, and how many of them in a row a download follows. */
export const REDIRECT_STATUSES: readonly number[] = [301, 302, 303, 307, 308];
export const MAX_REDIRECTS = 10;

export function judgeResponse(status: number, h: ResponseHeaders, s: JudgeInput): Verdict {
  if (REDIRECT_STATUSES.includes(status)) {
    const location = header(h, "location");
    if (location) return { kind: "redirect", location };
    return { kind: "reject", error: new ResponseRejected(`${statusText(status)} without Location`, true, false, undefined, status) };
  }
  if (status === 200) {
    const size = contentLength(h);
    const validator = validatorFrom(s.sourceUrl, h);
    if (s.bytes === 0) return { kind: "continue", size, validator };
    const reason =
      s.plan.range === undefined
        ? (s.plan.freshReason ?? "cannot resume")
        : (describeChange(s.validator, h) ?? "server ignored Range");
    return { kind: "restart", reason, size, validator };
  }
  if (status === 206) {
    const cr = parseContentRange(header(h, "content-range"));
    const asked = s.plan.range;
    if (asked === undefined || !cr || cr.start !== asked) {
      const got = header(h, "content-range") ?? "no Content-Range";
      const what = asked === undefined ? "a request without Range" : `Range: bytes=${asked}-`;
      return { kind: "reject", error: new ResponseRejected(`server answered ${what} with 206 (${got})`, false, true) };
    }
    if (s.size !== undefined && cr.complete !== undefined && cr.complete !== s.size) {
      return {
        kind: "reject",
        error: new ResponseRejected(`file size changed on the server (${s.size} -> ${cr.complete} bytes)`, false, true),
      };
    }
    // After a guarded splice onto another mirror, this response's validator lets later resumes there use If-Range.
    const validator = s.plan.unvalidated ? validatorFrom(s.sourceUrl, h) : undefined;
    return { kind: "continue", size: s.size ?? cr.complete, validator };
  }
  if (status === 416) {
    return {
      kind: "reject",
      error: new ResponseRejected(`${statusText(status)} at ${formatBytes(s.bytes)}`, false, true, undefined, status),
    };
  }
  const retryAfterMs = parseRetryAfter(header(h, "retry-after"), s.nowMs);
  if (status === 408 || status === 425 || status === 429) {
    return { kind: "reject", error: new ResponseRejected(statusText(status), false, false, retryAfterMs, status) };
  }
  if (status >= 500) return { kind: "reject", error: new ResponseRejected(statusText(status), false, false, retryAfterMs, status) };
  // Other 4xx: the URL is wrong or forbidden; 2xx/3xx other than the above: nothing a download can use.
  return { kind: "reject", error: new ResponseRejected(statusText(status), true, false, undefined, status) };
}
