import { describe, expect, it } from "vitest";
import { backoffDelay, parseRetryAfter } from "./backoff";
import { classifyFailure } from "./classify";
import { DnsError, ResponseRejected } from "./errors";
import { ifRangeFor, isStrongEtag, judgeResponse, parseContentRange, planRequest, type JudgeInput } from "./resume";

describe("If-Range validator (RFC 9110 §13.1.5)", () => {
  it("uses a strong ETag, never a weak one", () => {
    expect(isStrongEtag('"abc"')).toBe(true);
    expect(isStrongEtag('W/"abc"')).toBe(false);
    expect(ifRangeFor({ etag: '"6650-5f1"' })).toBe('"6650-5f1"');
    expect(ifRangeFor({ etag: 'W/"6650-5f1"', "last-modified": "Mon, 01 Jan 2024 00:00:00 GMT", date: "Tue, 02 Jan 2024 00:00:00 GMT" })).toBeUndefined();
  });

  it("uses Last-Modified only without an ETag and at least one second before Date", () => {
    const lm = "Mon, 01 Jan 2024 00:00:00 GMT";
    expect(ifRangeFor({ "last-modified": lm, date: "Mon, 01 Jan 2024 00:00:01 GMT" })).toBe(lm);
    expect(ifRangeFor({ "last-modified": lm, date: lm })).toBeUndefined();
    expect(ifRangeFor({ "last-modified": lm })).toBeUndefined();
    expect(ifRangeFor({})).toBeUndefined();
  });
});

describe("planRequest", () => {
  const v = { url: "http://a/x", etag: '"e"', ifRange: '"e"' };
  it("asks from 0 when nothing was delivered", () => {
    expect(planRequest({ bytes: 0, sourceUrl: "http://a/x", spliceGuard: false })).toEqual({});
  });
  it("resumes with If-Range on the same source", () => {
    expect(planRequest({ bytes: 10, validator: v, sourceUrl: "http://a/x", spliceGuard: false })).toEqual({ range: 10, ifRange: '"e"' });
  });
  it("on another mirror: plain Range with a sha256, else from 0", () => {
    expect(planRequest({ bytes: 10, validator: v, sourceUrl: "http://b/x", spliceGuard: true })).toEqual({ range: 10, unvalidated: true });
    expect(planRequest({ bytes: 10, validator: v, sourceUrl: "http://b/x", spliceGuard: false }).range).toBeUndefined();
  });
  it("asks for the whole file after a partial answer that did not fit", () => {
    expect(planRequest({ bytes: 10, validator: v, sourceUrl: "http://a/x", spliceGuard: true, forceFresh: "bad range" })).toEqual({ freshReason: "bad range" });
  });
});

describe("judgeResponse", () => {
  const s = (over: Partial<JudgeInput> = {}): JudgeInput => ({
    plan: { range: 100, ifRange: '"e"' },
    bytes: 100,
    size: 1000,
    validator: { url: "http://a/x", etag: '"e"', ifRange: '"e"' },
    sourceUrl: "http://a/x",
    nowMs: 0,
    ...over,
  });

  it("continues on a 206 that starts where the stream is", () => {
    expect(judgeResponse(206, { "content-range": "bytes 100-999/1000" }, s())).toEqual({ kind: "continue", size: 1000, validator: undefined });
  });

  it("rejects a 206 at the wrong offset or for a file of another size, asking for the whole file next", () => {
    const off = judgeResponse(206, { "content-range": "bytes 0-999/1000" }, s());
    expect(off.kind === "reject" && off.error.retryFresh && !off.error.permanent).toBe(true);
    const size = judgeResponse(206, { "content-range": "bytes 100-1999/2000" }, s());
    expect(size.kind === "reject" && size.error.reason).toBe("file size changed on the server (1000 -> 2000 bytes)");
  });

  it("a 200 to a Range request restarts, saying whether the file changed", () => {
    expect(judgeResponse(200, { etag: '"e"', "content-length": "1000" }, s())).toMatchObject({ kind: "restart", reason: "server ignored Range", size: 1000 });
    expect(judgeResponse(200, { etag: '"f"' }, s())).toMatchObject({ kind: "restart", reason: 'file changed on the server (ETag "e" -> "f")' });
    expect(judgeResponse(200, { etag: '"e"', "content-length": "1000" }, s({ bytes: 0, plan: {} }))).toMatchObject({ kind: "continue", size: 1000 });
  });

  it("classifies statuses: 4xx permanent except 408/425/429; 5xx transient with Retry-After", () => {
    const r = (status: number, h = {}) => {
      const v = judgeResponse(status, h, s({ bytes: 0, plan: {} }));
      return v.kind === "reject" ? v.error : undefined;
    };
    // The status travels on (404 and 410 let an #optional layer be skipped).
    expect(r(404)).toMatchObject({ reason: "HTTP 404 Not Found", permanent: true, status: 404 });
    expect(r(403)).toMatchObject({ permanent: true, status: 403 });
    expect(r(410)).toMatchObject({ permanent: true, status: 410 });
    expect(r(503)).toMatchObject({ status: 503 });
    expect(r(429, { "retry-after": "7" })).toMatchObject({ permanent: false, retryAfterMs: 7000 });
    expect(r(408)).toMatchObject({ permanent: false });
    expect(r(503)).toMatchObject({ reason: "HTTP 503 Service Unavailable", permanent: false });
    expect(r(204)).toMatchObject({ permanent: true });
    expect(judgeResponse(302, { location: "/y" }, s())).toEqual({ kind: "redirect", location: "/y" });
  });

  it("parses Content-Range", () => {
    expect(parseContentRange("bytes 5-9/10")).toEqual({ start: 5, end: 9, complete: 10 });
    expect(parseContentRange("bytes 5-9/*")).toEqual({ start: 5, end: 9, complete: undefined });
    expect(parseContentRange("bytes */10")).toBeUndefined();
    expect(parseContentRange("bytes 9-5/10")).toBeUndefined();
  });
});

describe("backoff", () => {
  const b = { baseMs: 1000, maxMs: 60_000 };
  it("draws uniformly up to an exponential cap (full jitter)", () => {
    expect(backoffDelay(1, b, () => 0.999)).toBe(999);
    expect(backoffDelay(3, b, () => 0.5)).toBe(2000);
    expect(backoffDelay(20, b, () => 0.5)).toBe(30_000);
    expect(backoffDelay(1, b, () => 0)).toBe(0);
  });

  it("spreads a herd: a thousand nodes failing together do not come back together", () => {
    const delays = Array.from({ length: 1000 }, () => backoffDelay(5, b));
    const buckets = new Array(16).fill(0);
    for (const d of delays) buckets[Math.min(15, Math.floor(d / 1000))]++;
    expect(Math.max(...buckets)).toBeLessThan(150);
    expect(Math.max(...delays)).toBeLessThanOrEqual(16_000);
  });

  it("honours Retry-After with jitter above it, within maxMs", () => {
    expect(backoffDelay(1, b, () => 0, 7000)).toBe(7000);
    expect(backoffDelay(1, b, () => 0.5, 7000)).toBe(8750);
    expect(backoffDelay(1, { baseMs: 10, maxMs: 400 }, () => 0, 120_000)).toBe(400);
    expect(parseRetryAfter("120", 0)).toBe(120_000);
    expect(parseRetryAfter("Thu, 01 Jan 1970 00:00:10 GMT", 4000)).toBe(6000);
    expect(parseRetryAfter("soon", 0)).toBeUndefined();
  });
});

describe("classifyFailure", () => {
  const ctx = { timeoutMs: 30_000, now: () => new Date("1970-01-01T00:00:05Z") };
  const coded = (code: string, message = code) => Object.assign(new Error(message), { code });

  it("names socket and HTTP client failures, all transient; those before any connection mark the server unreachable", () => {
    expect(classifyFailure(coded("ECONNREFUSED"), ctx)).toEqual({ cause: "connection refused", permanent: false, unreachable: true });
    expect(classifyFailure(coded("ECONNRESET"), ctx)).toEqual({ cause: "connection reset", permanent: false });
    expect(classifyFailure(coded("HTTP_BODY_TIMEOUT"), ctx)).toEqual({ cause: "no data for 30s", permanent: false });
    expect(classifyFailure(coded("HTTP_CONNECT_TIMEOUT"), ctx)).toEqual({ cause: "connect timed out after 30s", permanent: false, unreachable: true });
    expect(classifyFailure(coded("HTTP_CLOSED"), ctx).cause).toBe("connection closed by the server");
    expect(classifyFailure(coded("HTTP_BAD_RESPONSE", 'invalid status line "SSH-2.0"'), ctx).cause).toBe('invalid HTTP response (invalid status line "SSH-2.0")');
    // happy eyeballs wraps the real errors
    expect(classifyFailure(new AggregateError([coded("EHOSTUNREACH")], "x"), ctx)).toEqual({ cause: "host unreachable", permanent: false, unreachable: true });
  });

  it("certificate problems are permanent, and a clock problem says what the clock says", () => {
    expect(classifyFailure(coded("SELF_SIGNED_CERT_IN_CHAIN"), ctx)).toMatchObject({ permanent: true });
    expect(classifyFailure(coded("CERT_NOT_YET_VALID"), ctx)).toEqual({
      cause: "TLS: certificate is not yet valid (system clock says 1970-01-01T00:00:05.000Z; tarboot.ntp= or DHCP option 42 sets it at boot)",
      permanent: true,
    });
  });

  it("DNS: NXDOMAIN and NODATA are permanent, no answer is transient", () => {
    expect(classifyFailure(new DnsError("ENOTFOUND", "x.test", ["10.0.0.1"]), ctx)).toEqual({
      cause: "DNS: x.test does not exist (NXDOMAIN via 10.0.0.1)",
      permanent: true,
    });
    expect(classifyFailure(new DnsError("ENODATA", "x.test", ["10.0.0.1"]), ctx).permanent).toBe(true);
    expect(classifyFailure(new DnsError("ETIMEOUT", "x.test", ["10.0.0.1"]), ctx)).toEqual({ cause: "DNS: no answer for x.test via 10.0.0.1", permanent: false });
  });

  it("passes a rejected response's verdict through", () => {
    expect(classifyFailure(new ResponseRejected("HTTP 503 Service Unavailable", false, false, 5000), ctx)).toEqual({
      cause: "HTTP 503 Service Unavailable",
      permanent: false,
      retryFresh: false,
      retryAfterMs: 5000,
    });
  });
});
