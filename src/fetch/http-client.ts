// One HTTP/1.1 GET on its own connection, its body written into a Writable the caller picks once it has
// seen the head (what undici's dispatcher.stream() did for us before; see README "Network" for why we
// read sockets ourselves). Plain TCP reads go straight into large buffers we hand to the socket
// (net's `onread`), up to 1 MiB per read instead of 64 KiB copied into a stream, and body bytes reach
// the Writable as views of them: under emulation each read through Node's stream machinery and a
// WebAssembly parser cost more than the decoder's work on it.
import * as net from "node:net";
import type { Writable } from "node:stream";
import { basicAuthorization } from "./basic-auth";
import { ResponseRejected } from "./errors";
import { ResponseReader, closedBeforeResponse, type ResponseHead } from "./http-response";
import { type Proxy, unbracketed } from "./proxy";

export { HttpResponseError, type ResponseHead } from "./http-response";

export interface ClientOptions {
  /** No connection, head or body bytes for this long fails the request. Time the Writable holds the body back does not count. */
  timeoutMs: number;
  /** Trusted certificates (PEM) replacing Node's defaults, for https. */
  ca?: string[];
  /** Name resolution for the connection (the lease's DNS servers). */
  lookup?: net.LookupFunction;
}

export interface GetRequest {
  url: URL;
  headers: Record<string, string>;
  signal?: AbortSignal;
  /** Through this HTTP proxy: absolute-form GET for http, a CONNECT tunnel for https. */
  proxy?: Proxy;
}

export type TimeoutCode = "HTTP_CONNECT_TIMEOUT" | "HTTP_HEADERS_TIMEOUT" | "HTTP_BODY_TIMEOUT" | "HTTP_BODY_STALLED";

/**
 * Body bytes that count as progress within the timeout. A server trickling a few bytes now and then
 * (overloaded, or a link losing most packets) is never silent, yet a root at that pace takes days;
 * less than this per timeout is a stall, and the download resumes elsewhere or from a new connection.
 */
export const MIN_PROGRESS_BYTES = 16 * 1024;

export class HttpTimeoutError extends Error {
  constructor(
    readonly code: TimeoutCode,
    message: string,
    /** HTTP_BODY_STALLED: the bytes that did arrive within the timeout. */
    readonly bytes = 0,
  ) {
    super(message);
    this.name = "HttpTimeoutError";
  }
}

/** Read buffers are carved out of slabs this large; a read gets at most the rest of one. */
const SLAB = 4 << 20;
/** Below this much room left, the next read gets a fresh slab. */
const MIN_READ = 1 << 20;
/** TLS decrypts to 'data' chunks of one 16 KiB record each; they go on joined, up to this much. */
const TLS_GATHER = 256 * 1024;
/** A proxy's answer to CONNECT longer than this is not one. */
const MAX_CONNECT_HEAD = 16 * 1024;

/**
 * GETs `req.url` and writes the body into `factory(head)`. Resolves when the body has been written
 * and the Writable has finished; rejects with the socket's, the response's, the Writable's error,
 * a timeout, or the signal's reason. A Writable that is already destroyed refuses the body: the
 * request rejects with its error (that is how a caller turns down a redirect or an error status).
 */
export function httpGet(client: ClientOptions, req: GetRequest, factory: (head: ResponseHead) => Writable): Promise<void> {
  return new Promise((resolve, reject) => new Exchange(client, req, factory, resolve, reject).start());
}

class Exchange {
  private socket?: net.Socket;
  private readonly reader = new ResponseReader();
  private sink?: Writable;
  private timer?: NodeJS.Timeout;
  private settled = false;
  /** The body is complete and the Writable is being ended: the socket closing is expected. */
  private finishing = false;
  /** The Writable is full: reading is stopped and the body clock with it, until 'drain'. */
  private held = false;
  private gathered: Buffer[] = [];
  private gatheredBytes = 0;
  private gatherTurn?: NodeJS.Immediate;
  private slab = Buffer.allocUnsafe(0);
  private slabUsed = 0;
  /** Body bytes since the body clock was last wound: it is wound again at MIN_PROGRESS_BYTES. */
  private progress = 0;
  private readonly onAbort = () => this.fail(this.req.signal?.reason ?? new Error("aborted"));

  constructor(
    private readonly client: ClientOptions,
    private readonly req: GetRequest,
    private readonly factory: (head: ResponseHead) => Writable,
    private readonly resolve: () => void,
    private readonly reject: (err: unknown) => void,
  ) {}

  start(): void {
    const { url, signal, proxy } = this.req;
    if (signal?.aborted) return this.onAbort();
    signal?.addEventListener("abort", this.onAbort, { once: true });
    const secure = url.protocol === "https:";
    const host = unbracketed(url.hostname);
    const port = Number(url.port) || (secure ? 443 : 80);
    const lookup = this.client.lookup ? { lookup: this.client.lookup } : {};
    this.arm("HTTP_CONNECT_TIMEOUT");
    const onread = { buffer: () => this.nextReadBuffer(), callback: (n: number, buf: Uint8Array) => this.onRead(n, buf) };
    if (!secure) {
      // Through a proxy only the connection's other end changes; the request line names the URL.
      const to = proxy ? { host: proxy.host, port: proxy.port } : { host, port };
      this.use(net.connect({ ...to, ...lookup, onread }), "connect");
    } else if (!proxy) {
      this.use(this.tls(host, { host, port, ...lookup }), "secureConnect");
    } else {
      const raw = net.connect({ host: proxy.host, port: proxy.port, ...lookup });
      this.socket = raw;
      raw.on("error", (err) => this.fail(err));
      const target = `${net.isIPv6(host) ? `[${host}]` : host}:${port}`;
      raw.once("connect", () => {
        const lines = [`CONNECT ${target} HTTP/1.1`, `host: ${target}`];
        if (proxy.authorization) lines.push(`proxy-authorization: ${proxy.authorization}`);
        raw.write([...lines, "", ""].join("\r\n"), "latin1");
      });
      this.awaitTunnel(raw, proxy, target, () => this.use(this.tls(host, { socket: raw }), "secureConnect"));
    }
  }

  /** node:tls (50 modules) when a layer is HTTPS, not with the fetch code for every boot. */
  private tls(host: string, how: { host: string; port: number; lookup?: net.LookupFunction } | { socket: net.Socket }): net.Socket {
    const socket = process.getBuiltinModule("node:tls").connect({
      ...how,
      servername: net.isIP(host) ? undefined : host,
      ALPNProtocols: ["http/1.1"],
      ...(this.client.ca ? { ca: this.client.ca } : {}),
    });
    // TLS sockets take no user read buffer: their chunks come as 'data'.
    socket.on("data", (chunk: Buffer) => this.gather(chunk));
    return socket;
  }

  private use(socket: net.Socket, ready: "connect" | "secureConnect"): void {
    this.socket = socket;
    socket.once(ready, () => this.sendRequest());
    socket.on("error", (err) => this.fail(err));
    socket.on("end", () => this.onEnd());
    socket.on("close", () => {
      if (!this.finishing) this.fail(closedBeforeResponse());
    });
  }

  /** Reads the proxy's answer to CONNECT; on 2xx the socket is a tunnel to `target` and `open` runs. */
  private awaitTunnel(raw: net.Socket, proxy: Proxy, target: string, open: () => void): void {
    let head = Buffer.alloc(0);
    const onClose = () => this.fail(new ResponseRejected(`proxy ${proxy.url} closed the connection before answering CONNECT ${target}`, false));
    const onData = (chunk: Buffer) => {
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf("\r\n\r\n");
      if (end < 0) {
        if (head.length > MAX_CONNECT_HEAD) this.fail(new ResponseRejected(`proxy ${proxy.url}: no answer to CONNECT ${target} in ${MAX_CONNECT_HEAD} bytes`, false));
        return;
      }
      raw.off("data", onData);
      raw.off("close", onClose);
      const status = head.subarray(0, head.indexOf("\r\n")).toString("latin1");
      const code = Number(/^HTTP\/1\.[01] (\d{3})/.exec(status)?.[1] ?? NaN);
      if (Number.isNaN(code) || end + 4 !== head.length) {
        this.fail(new ResponseRejected(`proxy ${proxy.url} answered CONNECT ${target} with ${JSON.stringify(status.slice(0, 80))}, not an HTTP proxy's answer`, true));
      } else if (code < 200 || code >= 300) {
        // 403, 407 and the like are the proxy's policy: asking again will not change them.
        this.fail(new ResponseRejected(`proxy ${proxy.url} refused CONNECT ${target}: ${status.slice(9)}`, code >= 400 && code < 500));
      } else {
        open();
      }
    };
    raw.on("data", onData);
    raw.on("close", onClose);
  }

  private sendRequest(): void {
    const { url, headers, proxy } = this.req;
    // A plain-HTTP request through a proxy names the whole URL (absolute form, RFC 9112 3.2.2).
    const direct = !proxy || url.protocol === "https:";
    const target = direct ? `${url.pathname}${url.search}` : `${url.protocol}//${url.host}${url.pathname}${url.search}`;
    const lines = [`GET ${target} HTTP/1.1`, `host: ${url.host}`];
    // user:password in the URL (kept by a relative redirect, gone with one to another host).
    if (url.username || url.password) lines.push(`authorization: ${basicAuthorization(url)}`);
    if (!direct && proxy.authorization) lines.push(`proxy-authorization: ${proxy.authorization}`);
    for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`);
    // One request per connection: a resumed or redirected request opens a new one anyway.
    lines.push("connection: close", "", "");
    this.socket!.write(lines.join("\r\n"), "latin1");
    this.arm("HTTP_HEADERS_TIMEOUT");
  }

  private nextReadBuffer(): Buffer {
    if (this.slab.length - this.slabUsed < MIN_READ) {
      this.slab = Buffer.allocUnsafe(SLAB);
      this.slabUsed = 0;
    }
    return this.slab.subarray(this.slabUsed);
  }

  /** `buf` is the slab view nextReadBuffer() gave; the bytes stay ours (views are handed on), so the slab moves on. */
  private onRead(n: number, buf: Uint8Array): boolean {
    this.slabUsed += n;
    return this.onData(Buffer.from(buf.buffer, buf.byteOffset, n));
  }

  /** Joins TLS chunks up to TLS_GATHER bytes, or what arrived in this turn of the event loop. */
  private gather(chunk: Buffer): void {
    this.gathered.push(chunk);
    this.gatheredBytes += chunk.length;
    if (this.gatheredBytes >= TLS_GATHER) this.flushGathered();
    else this.gatherTurn ??= setImmediate(() => this.flushGathered());
  }

  private flushGathered(): void {
    clearImmediate(this.gatherTurn);
    this.gatherTurn = undefined;
    if (this.gatheredBytes === 0) return;
    const data = this.gathered.length === 1 ? this.gathered[0] : Buffer.concat(this.gathered, this.gatheredBytes);
    this.gathered = [];
    this.gatheredBytes = 0;
    if (!this.onData(data)) this.socket!.pause();
  }

  /** Bytes from the connection; false to stop reading (the Writable is full, or the response is over). */
  private onData(chunk: Buffer): boolean {
    if (this.settled || this.finishing) return false;
    let pieces: Buffer[];
    try {
      pieces = this.reader.push(chunk);
    } catch (err) {
      this.fail(err);
      return false;
    }
    if (this.reader.head && !this.sink && !this.openSink(this.reader.head)) return false;
    let room = true;
    for (const piece of pieces) {
      room = this.sink!.write(piece);
      this.progress += piece.length;
    }
    if (this.reader.head && !this.held && this.progress >= MIN_PROGRESS_BYTES) {
      this.progress = 0;
      this.timer?.refresh();
    }
    if (this.reader.done) {
      this.finish();
      return false;
    }
    if (this.held) return false;
    if (room) return true;
    // Backpressure: stop reading, and stop the body clock until the Writable has room again.
    this.held = true;
    clearTimeout(this.timer);
    this.sink!.once("drain", () => {
      this.held = false;
      if (this.settled || this.finishing) return;
      this.arm("HTTP_BODY_TIMEOUT");
      this.socket!.resume();
    });
    return false;
  }

  private openSink(head: ResponseHead): boolean {
    let sink: Writable;
    try {
      sink = this.factory(head);
    } catch (err) {
      this.fail(err);
      return false;
    }
    this.sink = sink;
    sink.on("error", (err) => this.fail(err));
    // Destroyed without an error, it would never drain: the request would hang with its clock stopped.
    sink.on("close", () => {
      if (!this.finishing) this.fail(sink.errored ?? new Error("response body closed by the consumer"));
    });
    if (sink.destroyed) {
      this.fail(sink.errored ?? new Error(`HTTP ${head.statusCode}: response refused`));
      return false;
    }
    this.arm("HTTP_BODY_TIMEOUT");
    return true;
  }

  private onEnd(): void {
    this.flushGathered();
    if (this.settled || this.finishing) return;
    try {
      this.reader.end();
    } catch (err) {
      this.fail(err);
      return;
    }
    this.finish();
  }

  private finish(): void {
    clearTimeout(this.timer);
    const sink = this.sink;
    if (!sink) return this.fail(closedBeforeResponse());
    this.finishing = true;
    this.socket?.destroy();
    sink.end((err?: Error | null) => {
      if (err) return this.fail(err);
      if (this.settled) return;
      this.settled = true;
      this.req.signal?.removeEventListener("abort", this.onAbort);
      this.resolve();
    });
  }

  private fail(err: unknown): void {
    if (this.settled) return;
    this.settled = true;
    clearTimeout(this.timer);
    clearImmediate(this.gatherTurn);
    this.req.signal?.removeEventListener("abort", this.onAbort);
    this.socket?.destroy();
    const e = err instanceof Error ? err : new Error(String(err));
    if (this.sink && !this.sink.destroyed) this.sink.destroy(e);
    this.reject(err);
  }

  private arm(code: TimeoutCode): void {
    clearTimeout(this.timer);
    this.progress = 0;
    this.timer = setTimeout(() => {
      const ms = this.client.timeoutMs;
      if (code === "HTTP_BODY_TIMEOUT" && this.progress > 0) {
        this.fail(new HttpTimeoutError("HTTP_BODY_STALLED", `only ${this.progress} bytes of body data within ${ms} ms`, this.progress));
      } else this.fail(new HttpTimeoutError(code, timeoutMessage(code, ms)));
    }, this.client.timeoutMs);
  }
}

function timeoutMessage(code: TimeoutCode, ms: number): string {
  const what = code === "HTTP_CONNECT_TIMEOUT" ? "connect" : code === "HTTP_HEADERS_TIMEOUT" ? "response head" : "body data";
  return `no ${what} within ${ms} ms`;
}
