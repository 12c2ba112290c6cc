// fetchLayer against real servers on 127.0.0.1 with faults injected: cut connections, 5xx, servers that
// ignore Range or change the file, stalls, wrong checksums, dead mirrors, DNS and TLS failures.
import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer as createNetServer, type AddressInfo, type Server as NetServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ChecksumError, FetchError, RestartLayerError, UNREACHABLE_ATTEMPTS, fetchLayer, type FetchOptions } from "./index";
import { closedPort, startFaultServer, type FaultServer } from "./testing/fault-server";
import { startDnsResponder, type DnsResponder } from "./testing/dns-responder";
import { makeCerts, type TestCerts } from "./testing/tls-certs";

const MiB = 1024 * 1024;
const data = randomBytes(6 * MiB);
const dataSha = sha(data);

function sha(b: Buffer): string {
  return createHash("sha256").update(b).digest("hex");
}

const base: FetchOptions = {
  label: "layer 1/1",
  retries: 4,
  timeoutMs: 2_000,
  progress: false,
  backoff: { baseMs: 20, maxMs: 100 },
};

interface Read {
  sha: string;
  bytes: number;
}

/** A consumer that reads everything (optionally slowly) and returns the digest of what it read. */
function digestReader(o: { startDelayMs?: number; perChunkDelayMs?: number } = {}) {
  const calls: Array<{ url: string; size?: number; error?: unknown; read?: Read }> = [];
  const consume = async (body: Readable, info: { url: string; size?: number }): Promise<Read> => {
    const call: (typeof calls)[number] = { ...info };
    calls.push(call);
    try {
      if (o.startDelayMs) await new Promise((r) => setTimeout(r, o.startDelayMs));
      const h = createHash("sha256");
      let bytes = 0;
      for await (const chunk of body) {
        h.update(chunk);
        bytes += chunk.length;
        if (o.perChunkDelayMs) await new Promise((r) => setTimeout(r, o.perChunkDelayMs));
      }
      call.read = { sha: h.digest("hex"), bytes };
      return call.read;
    } catch (err) {
      call.error = err;
      throw err;
    }
  };
  return { consume, calls };
}

const servers: Array<{ close(): Promise<void> }> = [];
async function serve(...args: Parameters<typeof startFaultServer>): Promise<FaultServer> {
  const s = await startFaultServer(...args);
  servers.push(s);
  return s;
}

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), "tarboot-fetch-"));
});
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
  rmSync(tmp, { recursive: true, force: true });
});

describe("fetchLayer: resume", () => {
  it("resumes a connection cut mid-stream with Range + If-Range, the consumer sees one identical stream", async () => {
    const srv = await serve(data, (n) => (n === 0 ? { cutAfter: 2 * MiB + 12345 } : {}));
    const r = digestReader();
    const done = await fetchLayer([srv.url()], { ...base, sha256: dataSha }, r.consume);
    expect(done.result).toEqual({ sha: dataSha, bytes: data.length });
    expect(done).toMatchObject({ bytes: data.length, sha256: dataSha, attempts: 2, restarts: 0, url: srv.url() });
    expect(r.calls).toHaveLength(1);
    expect(r.calls[0].size).toBe(data.length);
    expect(srv.seen[0]).toMatchObject({ range: undefined, ifRange: undefined, status: 200 });
    const resumedAt = Number(/^bytes=(\d+)-$/.exec(srv.seen[1].range ?? "")?.[1]);
    expect(resumedAt).toBeGreaterThan(0);
    expect(resumedAt).toBeLessThanOrEqual(2 * MiB + 12345);
    expect(srv.seen[1]).toMatchObject({ ifRange: `"v1-${data.length}"`, status: 206 });
  });

  it("resumes several times in one download and keeps going while each attempt makes progress", async () => {
    const srv = await serve(data, (n) => (n < 5 ? { cutAfter: MiB } : {}));
    const r = digestReader();
    const done = await fetchLayer([srv.url()], { ...base, retries: 2, sha256: dataSha }, r.consume);
    expect(done.result.sha).toBe(dataSha);
    expect(done.attempts).toBe(6);
    expect(srv.seen.slice(1).every((s) => s.status === 206)).toBe(true);
  });

  it("asks for the rest when a server caps its range answers, without counting that as a failure", async () => {
    const srv = await serve(data, (n) => (n === 0 ? { cutAfter: MiB } : { capRange: MiB }));
    const done = await fetchLayer([srv.url()], { ...base, retries: 2, sha256: dataSha }, digestReader().consume);
    expect(done.result.sha).toBe(dataSha);
    // 1 MiB (or a little less) before the cut, then at most 1 MiB per answer.
    expect(srv.seen.length).toBeGreaterThanOrEqual(6);
    expect(srv.seen.length).toBeLessThanOrEqual(7);
    expect(srv.seen.slice(1).every((s) => s.status === 206 && s.sent <= MiB)).toBe(true);
  });

  it("shows progress on the console while resuming (plain lines off a terminal)", async () => {
    const srv = await serve(data, (n) => (n === 0 ? { cutAfter: 3 * MiB } : {}));
    const done = await fetchLayer([srv.url()], { ...base, progress: true }, digestReader().consume);
    expect(done.result.sha).toBe(dataSha);
  });

  it("uses Last-Modified for If-Range when there is no ETag and the date is at least 1 s older than Date", async () => {
    const lastModified = "Mon, 01 Jan 2024 00:00:00 GMT";
    const srv = await serve(data, (n) => ({ etag: null, ...(n === 0 ? { cutAfter: MiB } : {}) }), {
      lastModified,
      date: "Tue, 02 Jan 2024 00:00:00 GMT",
    });
    const r = digestReader();
    const done = await fetchLayer([srv.url()], base, r.consume);
    expect(done.result.sha).toBe(dataSha);
    expect(srv.seen[1].ifRange).toBe(lastModified);
    expect(srv.seen[1].status).toBe(206);
  });

  it("restarts from byte 0 when the server ignores Range: the consumer is called again", async () => {
    const srv = await serve(data, (n) => (n === 0 ? { cutAfter: 3 * MiB } : { ignoreRange: true }));
    const r = digestReader();
    const done = await fetchLayer([srv.url()], base, r.consume);
    expect(done.result).toEqual({ sha: dataSha, bytes: data.length });
    expect(done.restarts).toBe(1);
    expect(r.calls).toHaveLength(2);
    expect(r.calls[0].error).toBeInstanceOf(RestartLayerError);
    expect((r.calls[0].error as Error).message).toBe(`layer 1/1 ${srv.url()}: server ignored Range: restarting layer from 0`);
    expect(r.calls[1].read).toEqual({ sha: dataSha, bytes: data.length });
  });

  it("restarts with the new file when the ETag changed between attempts", async () => {
    const v2 = randomBytes(5 * MiB);
    const srv = await serve(data, (n) => (n === 0 ? { cutAfter: MiB } : { data: v2, etag: '"v2"' }));
    const r = digestReader();
    const done = await fetchLayer([srv.url()], base, r.consume);
    expect(done.result).toEqual({ sha: sha(v2), bytes: v2.length });
    expect(srv.seen[1]).toMatchObject({ ifRange: `"v1-${data.length}"`, status: 200 });
    expect((r.calls[0].error as Error).message).toContain(`file changed on the server (ETag "v1-${data.length}" -> "v2")`);
  });

  it("does not splice without a validator: a weak ETag means restart from 0 (no sha256 to check a splice)", async () => {
    const srv = await serve(data, (n) => ({ etag: 'W/"weak"', lastModified: null, ...(n === 0 ? { cutAfter: MiB } : {}) }));
    const r = digestReader();
    const done = await fetchLayer([srv.url()], base, r.consume);
    expect(done.result.sha).toBe(dataSha);
    expect(srv.seen[1].range).toBeUndefined();
    expect(done.restarts).toBe(1);
    expect((r.calls[0].error as Error).message).toContain("no strong validator");
  });

  it("with a sha256, resumes without a validator (plain Range) since the digest checks the splice", async () => {
    const srv = await serve(data, (n) => ({ etag: null, lastModified: null, ...(n === 0 ? { cutAfter: MiB } : {}) }));
    const r = digestReader();
    const done = await fetchLayer([srv.url()], { ...base, sha256: dataSha }, r.consume);
    expect(done.result.sha).toBe(dataSha);
    expect(done.restarts).toBe(0);
    expect(srv.seen[1].range).toMatch(/^bytes=\d+-$/);
    expect(srv.seen[1].ifRange).toBeUndefined();
  });

  it("when an unvalidated splice fails the sha256, downloads once more from 0 before giving up", async () => {
    const v2 = Buffer.from(data);
    v2.fill(0, 4 * MiB, 4 * MiB + 10); // the file changed on the server, same size, no validator to tell
    const srv = await serve(data, (n) =>
      n === 0 ? { etag: null, lastModified: null, cutAfter: MiB } : n === 1 ? { etag: null, lastModified: null, data: v2 } : { etag: null, lastModified: null },
    );
    const r = digestReader();
    const done = await fetchLayer([srv.url()], { ...base, sha256: dataSha }, r.consume);
    expect(done.result.sha).toBe(dataSha);
    expect(done.restarts).toBe(1);
    expect(srv.seen[2].range).toBeUndefined();
    expect((r.calls[0].error as Error).message).toContain("sha256 mismatch after resuming without a validator");
  });
});

describe("fetchLayer: transient and permanent failures", () => {
  it("retries 503 twice, then succeeds", async () => {
    const srv = await serve(data, (n) => (n < 2 ? { status: 503 } : {}));
    const r = digestReader();
    const done = await fetchLayer([srv.url()], base, r.consume);
    expect(done.result.sha).toBe(dataSha);
    expect(done.attempts).toBe(3);
    expect(r.calls).toHaveLength(1);
  });

  it("honours Retry-After on 503 (bounded by backoff.maxMs)", async () => {
    const srv = await serve(data, (n) => (n === 0 ? { status: 503, headers: { "retry-after": "1" } } : {}));
    const t0 = Date.now();
    const done = await fetchLayer([srv.url()], { ...base, backoff: { baseMs: 10, maxMs: 400 } }, digestReader().consume);
    expect(done.attempts).toBe(2);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(390);
  });

  it("treats 404 as permanent: one request, message names the layer, URL and status", async () => {
    const srv = await serve(data, () => ({ status: 404 }));
    const r = digestReader();
    const err = await fetchLayer([srv.url()], { ...base, retries: 5 }, r.consume).catch((e) => e);
    expect(err).toBeInstanceOf(FetchError);
    expect(err.message).toBe(`layer 1/1: all sources failed: ${srv.url()}: HTTP 404 Not Found`);
    expect(srv.seen).toHaveLength(1);
    expect(r.calls).toHaveLength(0);
  });

  it("fails over from a source nothing answers at after two attempts, not every retry; the last source gets them all", async () => {
    const dead = `http://127.0.0.1:${await closedPort()}/layer.tar`;
    const srv = await serve(data);
    const r = digestReader();
    const done = await fetchLayer([dead, srv.url()], { ...base, retries: 8 }, r.consume);
    expect(done.url).toBe(srv.url());
    expect(done.attempts).toBe(UNREACHABLE_ATTEMPTS + 1);
    expect(done.failures).toEqual([{ url: dead, cause: "connection refused", attempts: 2, permanent: false }]);
    expect(done.result.sha).toBe(dataSha);
    expect(r.calls[0].url).toBe(srv.url());
    const dead2 = `http://127.0.0.1:${await closedPort()}/layer.tar`;
    const err = await fetchLayer([dead, dead2], { ...base, retries: 4 }, digestReader().consume).catch((e) => e);
    expect(err.message).toBe(`layer 1/1: all sources failed: ${dead}: connection refused (2 attempts); ${dead2}: connection refused (4 attempts)`);
  });

  it("keeps retrying a source that answered before (a server restarting), up to tarboot.retries", async () => {
    // A 503, then the server goes away: it did answer, so it gets every retry before the next source.
    let restarting!: FaultServer;
    restarting = await serve(data, () => {
      setImmediate(() => void restarting.close());
      return { status: 503 };
    });
    const good = await serve(data);
    const done = await fetchLayer([restarting.url(), good.url()], { ...base, retries: 3 }, digestReader().consume);
    expect(done.url).toBe(good.url());
    expect(done.failures).toEqual([{ url: restarting.url(), cause: "connection refused", attempts: 3, permanent: false }]);
  });

  it("lists every source with its last cause when all fail", async () => {
    const dead = `http://127.0.0.1:${await closedPort()}/x.tar.zst`;
    const srv = await serve(data, () => ({ status: 404 }));
    const err = await fetchLayer([srv.url("/x.tar.zst"), dead], { ...base, label: "layer 2/3", retries: 3 }, digestReader().consume).catch((e) => e);
    expect(err).toBeInstanceOf(FetchError);
    expect(err.message).toBe(`layer 2/3: all sources failed: ${srv.url("/x.tar.zst")}: HTTP 404 Not Found; ${dead}: connection refused (3 attempts)`);
    expect(err.sources.map((s: { permanent: boolean }) => s.permanent)).toEqual([true, false]);
  });

  it("a server that stalls mid-body longer than timeoutMs: the attempt times out, the retry resumes", async () => {
    const srv = await serve(data, (n) => (n === 0 ? { stall: { after: 2 * MiB, ms: 3_000 } } : {}));
    const r = digestReader();
    const t0 = Date.now();
    const done = await fetchLayer([srv.url()], { ...base, timeoutMs: 600, sha256: dataSha }, r.consume);
    expect(done.result.sha).toBe(dataSha);
    expect(done.attempts).toBe(2);
    expect(srv.seen[1].range).toMatch(/^bytes=\d+-$/);
    expect(Date.now() - t0).toBeLessThan(2_900);
  });

  it("a server that trickles (never silent, under 16 KiB per timeout): a stall, and the retry resumes where it was", async () => {
    const srv = await serve(data, (n) => (n === 0 ? { trickle: { after: 1 * MiB, bytes: 200, everyMs: 50 } } : {}));
    const r = digestReader();
    const done = await fetchLayer([srv.url()], { ...base, timeoutMs: 600, sha256: dataSha }, r.consume);
    expect(done.result.sha).toBe(dataSha);
    expect(done.attempts).toBe(2);
    // ~12 pieces of 200 bytes arrived in the 600 ms after the last full 16 KiB: a stall, not silence.
    const resumedAt = Number(/^bytes=(\d+)-$/.exec(srv.seen[1].range ?? "")?.[1]);
    expect(resumedAt).toBeGreaterThan(1 * MiB);
    expect(resumedAt).toBeLessThan(1 * MiB + 16 * 1024);
  });

  it("names a stall as such when every source trickles", async () => {
    const srv = await serve(data, () => ({ trickle: { after: 0, bytes: 100, everyMs: 50 } }));
    const err = await fetchLayer([srv.url()], { ...base, retries: 1, timeoutMs: 400 }, digestReader().consume).catch((e) => e);
    expect(err.message).toMatch(new RegExp(`^layer 1/1: all sources failed: ${srv.url().replaceAll(".", "\\.")}: stalled: \\d+ B in 0\\.4s at \\d+ B$`));
  });

  it("a server that never answers: 'no response' after timeoutMs, each attempt", async () => {
    const srv = await serve(data, () => ({ stall: { after: -1, ms: 3_000 } }));
    const err = await fetchLayer([srv.url()], { ...base, retries: 2, timeoutMs: 400 }, digestReader().consume).catch((e) => e);
    expect(err.message).toBe(`layer 1/1: all sources failed: ${srv.url()}: no response within 0.4s (2 attempts)`);
  });

  it("a slow consumer is not a dead server: backpressure pauses the socket without tripping the timeout", async () => {
    const srv = await serve(data);
    const r = digestReader({ startDelayMs: 1_000, perChunkDelayMs: 1 });
    const done = await fetchLayer([srv.url()], { ...base, timeoutMs: 300 }, r.consume);
    expect(done.result.sha).toBe(dataSha);
    expect(done.attempts).toBe(1);
  });

  it("follows redirects, and refuses one to a non-http location", async () => {
    const srv = await serve(data, (_n, req) =>
      req.url === "/old" ? { status: 302, headers: { location: "/layer.tar" } } : req.url === "/evil" ? { status: 302, headers: { location: "file:///etc/shadow" } } : {},
    );
    const done = await fetchLayer([srv.url("/old")], base, digestReader().consume);
    expect(done.result.sha).toBe(dataSha);
    expect(done.url).toBe(srv.url("/old"));
    const err = await fetchLayer([srv.url("/evil")], base, digestReader().consume).catch((e) => e);
    expect(err.message).toBe(`layer 1/1: all sources failed: ${srv.url("/evil")}: redirected to an unusable location: file:///etc/shadow`);
  });
});

describe("fetchLayer: credentials in the URL", () => {
  it("sends user:password as Basic credentials, over a redirect on the same server, not to another host", async () => {
    const want = `Basic ${Buffer.from("ops:s3cr%t").toString("base64")}`;
    const seen: Array<[string, string | undefined]> = [];
    const srv = await serve(data, (_n, req) => {
      seen.push([`${req.headers.host}${req.url}`, req.headers.authorization]);
      if (req.url === "/old") return { status: 302, headers: { location: "/layer.tar" } };
      if (req.url === "/away") return { status: 302, headers: { location: srv.url("/layer.tar").replace("127.0.0.1", "localhost") } };
      return req.headers.authorization === want ? {} : { status: 401 };
    });
    const host = new URL(srv.url()).host;
    const withCreds = (path: string) => srv.url(path).replace("http://", "http://ops:s3cr%25t@");
    const done = await fetchLayer([withCreds("/old")], base, digestReader().consume);
    expect(done.result.sha).toBe(dataSha);
    expect(seen).toEqual([[`${host}/old`, want], [`${host}/layer.tar`, want]]);
    // Another host gets no credentials it was not given: it refuses.
    seen.length = 0;
    const err = await fetchLayer([withCreds("/away")], base, digestReader().consume).catch((e) => e);
    expect(err.message).toBe(`layer 1/1: all sources failed: ${withCreds("/away")}: HTTP 401 Unauthorized`);
    expect(seen).toEqual([[`${host}/away`, want], [`${host.replace("127.0.0.1", "localhost")}/layer.tar`, undefined]]);
  });
});

describe("fetchLayer: integrity and consumers", () => {
  it("a wrong sha256 errors the consumer's stream before 'end' and rejects with both digests", async () => {
    const srv = await serve(data);
    const r = digestReader();
    const wrong = "0".repeat(64);
    const err = await fetchLayer([srv.url()], { ...base, sha256: wrong }, r.consume).catch((e) => e);
    expect(err).toBeInstanceOf(ChecksumError);
    expect(err.message).toBe(`layer 1/1 ${srv.url()}: sha256 mismatch: expected ${wrong}, got ${dataSha}`);
    expect(r.calls).toHaveLength(1);
    expect(r.calls[0].error).toBeInstanceOf(ChecksumError);
    expect(r.calls[0].read).toBeUndefined();
  });

  it("a truncated file with a sha256: the consumer never sees 'end'", async () => {
    const srv = await serve(data.subarray(0, 4 * MiB));
    const r = digestReader();
    const err = await fetchLayer([srv.url()], { ...base, sha256: dataSha }, r.consume).catch((e) => e);
    expect(err).toBeInstanceOf(ChecksumError);
    expect(r.calls[0].error).toBeInstanceOf(ChecksumError);
  });

  it("rejects with the consumer's own error and stops downloading", async () => {
    const srv = await serve(data, () => ({ chunkDelayMs: 5 }));
    const boom = new Error("layer 1/1: ../etc/passwd: path escapes the root");
    const err = await fetchLayer([srv.url()], base, async (body) => {
      for await (const _ of body) throw boom;
      return 0;
    }).catch((e) => e);
    expect(err).toBe(boom);
    await new Promise((r) => setTimeout(r, 50));
    expect(srv.seen).toHaveLength(1);
    expect(srv.seen[0].aborted).toBe(true);
    expect(srv.seen[0].sent).toBeLessThan(data.length);
  });

  it("a consumer that stops reading early still gets a verified download", async () => {
    const srv = await serve(data);
    const done = await fetchLayer([srv.url()], { ...base, sha256: dataSha }, async (body) => {
      for await (const chunk of body) return chunk.length > 0;
      return false;
    });
    expect(done.result).toBe(true);
    expect(done.bytes).toBe(data.length);
    expect(done.sha256).toBe(dataSha);
  });

  it("aborts on the caller's signal, after the consumer settled", async () => {
    const srv = await serve(data, () => ({ chunkDelayMs: 20 }));
    const ac = new AbortController();
    const r = digestReader();
    setTimeout(() => ac.abort(new Error("boot cancelled")), 100);
    const err = await fetchLayer([srv.url()], { ...base, signal: ac.signal }, r.consume).catch((e) => e);
    expect(err.message).toBe("boot cancelled");
    expect(r.calls[0].error).toBeDefined();
  });

  it("rejects bad arguments with the layer label", async () => {
    await expect(fetchLayer([], base, digestReader().consume)).rejects.toThrow("layer 1/1: no URL to download");
    await expect(fetchLayer(["ftp://x/y"], base, digestReader().consume)).rejects.toThrow("layer 1/1: not an http(s) URL: ftp://x/y");
    await expect(fetchLayer(["http://x/y"], { ...base, sha256: "abc" }, digestReader().consume)).rejects.toThrow('sha256 must be 64 hex digits, got "abc"');
  });
});

describe("fetchLayer: mirrors", () => {
  it("with a sha256, continues on the next mirror where the first one died (Range without If-Range)", async () => {
    const a = await serve(data, (n) => (n === 0 ? { cutAfter: 2 * MiB } : { status: 503 }));
    const b = await serve(data, () => ({}), { etag: '"other-server"' });
    const r = digestReader();
    const done = await fetchLayer([a.url(), b.url()], { ...base, retries: 2, sha256: dataSha }, r.consume);
    expect(done.result.sha).toBe(dataSha);
    expect(done.url).toBe(b.url());
    expect(r.calls).toHaveLength(1);
    expect(b.seen[0].range).toMatch(/^bytes=\d+-$/);
    expect(b.seen[0].ifRange).toBeUndefined();
  });

  it("without a sha256, restarts the layer from 0 on the next mirror", async () => {
    const a = await serve(data, (n) => (n === 0 ? { cutAfter: 2 * MiB } : { status: 503 }));
    const b = await serve(data);
    const r = digestReader();
    const done = await fetchLayer([a.url(), b.url()], { ...base, retries: 2 }, r.consume);
    expect(done.result.sha).toBe(dataSha);
    expect(done.restarts).toBe(1);
    expect(b.seen[0].range).toBeUndefined();
    expect(r.calls.map((c) => c.url)).toEqual([a.url(), b.url()]);
  });
});

// Found in undici (nodejs/undici#5360, a crash), kept for our own client.
describe("fetchLayer: Connection: close while the body is paused", () => {
  let raw: NetServer;
  afterAll(() => new Promise<void>((r) => raw.close(() => r())));

  it("a server that sends everything with Connection: close and closes, to a slow consumer", async () => {
    raw = createNetServer((sock) => {
      sock.once("data", () => {
        sock.write(`HTTP/1.1 200 OK\r\nContent-Length: ${data.length}\r\nConnection: close\r\n\r\n`);
        sock.write(data);
        sock.end();
      });
    });
    await new Promise<void>((r) => raw.listen(0, "127.0.0.1", () => r()));
    const url = `http://127.0.0.1:${(raw.address() as AddressInfo).port}/layer.tar`;
    const r = digestReader({ startDelayMs: 500, perChunkDelayMs: 1 });
    const done = await fetchLayer([url], { ...base, sha256: dataSha }, r.consume);
    expect(done.result).toEqual({ sha: dataSha, bytes: data.length });
    expect(done.attempts).toBe(1);
  });
});

describe("fetchLayer: DNS through the lease's servers", () => {
  let dns: DnsResponder;
  let srv: FaultServer;
  beforeAll(async () => {
    dns = await startDnsResponder({ "layers.test": "127.0.0.1", "boot.lab.example": "127.0.0.1" });
    srv = await serve(data);
  });
  afterAll(() => dns.close());

  it("resolves a name through dnsServers", async () => {
    const done = await fetchLayer([`http://layers.test:${srv.port}/layer.tar`], { ...base, dnsServers: [dns.server] }, digestReader().consume);
    expect(done.result.sha).toBe(dataSha);
    expect(dns.queries).toContain("layers.test/1");
  });

  it("NXDOMAIN is permanent for that URL and says which server answered", async () => {
    const url = `http://bogus.test:${srv.port}/layer.tar`;
    const err = await fetchLayer([url], { ...base, dnsServers: [dns.server] }, digestReader().consume).catch((e) => e);
    expect(err.message).toBe(`layer 1/1: all sources failed: ${url}: DNS: bogus.test does not exist (NXDOMAIN via ${dns.server})`);
  });

  it("a name without a dot is tried in the search domains first, in order", async () => {
    const opts = { ...base, dnsServers: [dns.server], dnsSearch: ["elsewhere.example", "lab.example"] };
    const done = await fetchLayer([`http://boot:${srv.port}/layer.tar`], opts, digestReader().consume);
    expect(done.result.sha).toBe(dataSha);
    const asked = dns.queries.filter((q) => q.startsWith("boot"));
    expect(asked.indexOf("boot.elsewhere.example/1")).toBeGreaterThanOrEqual(0);
    expect(asked.indexOf("boot.elsewhere.example/1")).toBeLessThan(asked.indexOf("boot.lab.example/1"));
    // Found in a search domain: the bare name is never asked for.
    expect(asked).not.toContain("boot/1");
  });

  it("a short name found nowhere: the message names every name tried", async () => {
    const url = `http://ghost:${srv.port}/layer.tar`;
    const opts = { ...base, dnsServers: [dns.server], dnsSearch: ["lab.example"] };
    const err = await fetchLayer([url], opts, digestReader().consume).catch((e) => e);
    expect(err.message).toBe(`layer 1/1: all sources failed: ${url}: DNS: ghost (tried ghost.lab.example, ghost) does not exist (NXDOMAIN via ${dns.server})`);
  });

  it("a DNS server that does not answer is transient, retried, then reported", async () => {
    const port = await closedPort();
    const url = `http://layers.test:${srv.port}/layer.tar`;
    const err = await fetchLayer([url], { ...base, retries: 2, timeoutMs: 900, dnsServers: [`127.0.0.1:${port}`] }, digestReader().consume).catch((e) => e);
    expect(err.message).toMatch(new RegExp(`^layer 1/1: all sources failed: ${url}: DNS: .*layers\\.test.*127\\.0\\.0\\.1:${port}.* \\(2 attempts\\)$`));
  });
});

describe("fetchLayer: HTTPS", () => {
  let certs: TestCerts;
  let srv: FaultServer;
  beforeAll(async () => {
    certs = makeCerts(tmp);
    srv = await serve(data, (n) => (n === 0 ? { cutAfter: MiB } : {}), { tls: { key: certs.key, cert: certs.cert } });
  });

  it("works (and resumes) with the CA bundle given", async () => {
    const done = await fetchLayer([srv.url()], { ...base, caFile: certs.caFile, sha256: dataSha }, digestReader().consume);
    expect(done.result.sha).toBe(dataSha);
    expect(done.attempts).toBe(2);
  });

  it("fails at once with a clear TLS message without it", async () => {
    const err = await fetchLayer([srv.url()], base, digestReader().consume).catch((e) => e);
    expect(err.message).toBe(
      `layer 1/1: all sources failed: ${srv.url()}: TLS: certificate not trusted (unable to verify the first certificate); give the CA bundle with tarboot.ca=`,
    );
  });

  it("names an unreadable CA bundle", async () => {
    const err = await fetchLayer([srv.url()], { ...base, caFile: join(tmp, "missing.pem") }, digestReader().consume).catch((e) => e);
    expect(err.message).toMatch(/^layer 1\/1: CA bundle \(tarboot\.ca=\) .*missing\.pem: ENOENT/);
  });
});
