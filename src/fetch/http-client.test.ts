import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer as createHttpsServer } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createServer, type AddressInfo, type Server, type Socket } from "node:net";
import { Writable } from "node:stream";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { trustStore } from "./trust-store";
import { httpGet, type ResponseHead } from "./http-client";
import { makeCerts } from "./testing/tls-certs";

// A raw TCP server: each test writes exactly the bytes (and the timing) it wants on the wire.
let server: Server | undefined;
let requests: string[] = [];

async function serve(answer: (socket: Socket) => unknown): Promise<URL> {
  requests = [];
  server = createServer((socket) => {
    let head = "";
    const onData = (b: Buffer) => {
      head += b.toString("latin1");
      if (!head.includes("\r\n\r\n")) return;
      socket.off("data", onData);
      requests.push(head);
      void answer(socket);
    };
    socket.on("data", onData);
    socket.on("error", () => {});
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/dir/layer.tar?v=1`);
}

afterEach(async () => {
  server?.close();
  server = undefined;
});

/** A Writable that keeps what it gets, taking `delayMs` per write (backpressure). */
function collector(delayMs = 0) {
  const got: Buffer[] = [];
  const heads: ResponseHead[] = [];
  const sink = new Writable({
    highWaterMark: 64 * 1024,
    write(chunk: Buffer, _enc, cb) {
      got.push(Buffer.from(chunk));
      if (delayMs > 0) setTimeout(cb, delayMs);
      else cb();
    },
  });
  return { got, heads, factory: (h: ResponseHead) => (heads.push(h), sink), body: () => Buffer.concat(got) };
}

const get = (url: URL, factory: (h: ResponseHead) => Writable, opts: { timeoutMs?: number; signal?: AbortSignal } = {}) =>
  httpGet({ timeoutMs: opts.timeoutMs ?? 5000 }, { url, headers: { range: "bytes=5-" }, signal: opts.signal }, factory);

describe("httpGet", () => {
  it("sends one GET with Host and the caller's headers, and closes the connection", async () => {
    const url = await serve((s) => s.end("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"));
    const c = collector();
    await get(url, c.factory);
    expect(requests[0]).toBe(`GET /dir/layer.tar?v=1 HTTP/1.1\r\nhost: ${url.host}\r\nrange: bytes=5-\r\nconnection: close\r\n\r\n`);
    expect(c.body().toString()).toBe("ok");
    expect(c.heads[0]).toEqual({ statusCode: 200, headers: { "content-length": "2" } });
  });

  it("delivers a large body intact through a slow consumer, in large reads", async () => {
    const data = randomBytes(24 << 20);
    const url = await serve((s) => s.end(Buffer.concat([Buffer.from(`HTTP/1.1 200 OK\r\nContent-Length: ${data.length}\r\n\r\n`), data])));
    const c = collector(1);
    await get(url, c.factory);
    expect(c.body().equals(data)).toBe(true);
    // Node's stream reads are 64 KiB each; ours take what the socket holds.
    expect(c.got.length).toBeLessThan(data.length / (64 * 1024) / 2);
  });

  it("reads chunked and close-delimited bodies", async () => {
    let url = await serve(async (s) => {
      s.write("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nabcd\r\n");
      await sleep(20);
      s.end("3\r\nefg\r\n0\r\n\r\n");
    });
    let c = collector();
    await get(url, c.factory);
    expect(c.body().toString()).toBe("abcdefg");
    server?.close();
    url = await serve((s) => s.end("HTTP/1.0 200 OK\r\n\r\nto the end"));
    c = collector();
    await get(url, c.factory);
    expect(c.body().toString()).toBe("to the end");
  });

  it("fails with a code the classifier knows: garbage, a cut body, a silent server", async () => {
    let url = await serve((s) => s.end("SSH-2.0-OpenSSH_9.2\r\n\r\n"));
    await expect(get(url, collector().factory)).rejects.toMatchObject({ code: "HTTP_BAD_RESPONSE" });
    server?.close();
    url = await serve((s) => s.end("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhalf"));
    const c = collector();
    await expect(get(url, c.factory)).rejects.toMatchObject({ code: "HTTP_BODY_TRUNCATED" });
    expect(c.body().toString()).toBe("half");
    server?.close();
    url = await serve(() => {});
    await expect(get(url, collector().factory, { timeoutMs: 300 })).rejects.toMatchObject({ code: "HTTP_HEADERS_TIMEOUT" });
    server?.close();
    url = await serve((s) => s.write("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n"));
    await expect(get(url, collector().factory, { timeoutMs: 300 })).rejects.toMatchObject({ code: "HTTP_BODY_TIMEOUT" });
    server?.close();
    // A few bytes, then nothing: less than MIN_PROGRESS_BYTES in the timeout is a stall, and says how much came.
    url = await serve((s) => s.write("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhal"));
    await expect(get(url, collector().factory, { timeoutMs: 300 })).rejects.toMatchObject({ code: "HTTP_BODY_STALLED", bytes: 3 });
  });

  it("does not count time the consumer holds the body back", async () => {
    const data = randomBytes(4 << 20);
    const url = await serve((s) => s.end(Buffer.concat([Buffer.from(`HTTP/1.1 200 OK\r\nContent-Length: ${data.length}\r\n\r\n`), data])));
    // Each write takes 300 ms, the timeout is 200 ms: only a stopped clock lets this finish.
    const c = collector(300);
    await get(url, c.factory, { timeoutMs: 200 });
    expect(c.body().equals(data)).toBe(true);
  });

  it("lets the caller refuse a response with a destroyed Writable, and stops on abort", async () => {
    let url = await serve((s) => s.end("HTTP/1.1 404 Not Found\r\nContent-Length: 3\r\n\r\nno!"));
    const refused = new Error("HTTP 404 Not Found");
    await expect(
      get(url, () => {
        const w = new Writable({ write: (_c, _e, cb) => cb() });
        w.destroy(refused);
        return w;
      }),
    ).rejects.toBe(refused);
    server?.close();
    url = await serve((s) => s.write("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nsome"));
    const stop = new AbortController();
    const pending = get(url, collector().factory, { signal: stop.signal });
    await sleep(50);
    stop.abort(new Error("boot cancelled"));
    await expect(pending).rejects.toThrow("boot cancelled");
  });
});

describe("httpGet over TLS", () => {
  const dir = mkdtempSync(join(tmpdir(), "tls-"));
  const certs = makeCerts(dir);
  const data = randomBytes(4 << 20);
  const tls = createHttpsServer({ key: certs.key, cert: certs.cert }, (_req, res) => {
    res.setHeader("content-length", data.length);
    res.end(data);
  });
  afterAll(() => {
    tls.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const url = async () => {
    if (!tls.listening) {
      tls.listen(0, "127.0.0.1");
      await once(tls, "listening");
    }
    return new URL(`https://127.0.0.1:${(tls.address() as AddressInfo).port}/layer.tar`);
  };
  const client = (timeoutMs: number) => ({ timeoutMs, ca: trustStore(certs.caFile) });

  it("joins the 16 KiB records into larger pieces, bytes intact", async () => {
    const c = collector();
    await httpGet(client(5000), { url: await url(), headers: {} }, c.factory);
    expect(c.body().equals(data)).toBe(true);
    expect(c.got.length).toBeLessThan(data.length / (16 * 1024) / 4);
  });

  it("does not count time the consumer holds the body back", async () => {
    // Each write takes 250 ms, the timeout is 200 ms.
    const c = collector(250);
    await httpGet(client(200), { url: await url(), headers: {} }, c.factory);
    expect(c.body().equals(data)).toBe(true);
  });
});
