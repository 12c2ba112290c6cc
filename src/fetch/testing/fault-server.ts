// A real HTTP server for download tests, serving one file with ETag/Last-Modified and honest
// Range/If-Range support, whose answers can be broken on purpose per request: a status instead of the
// file, the connection cut after N body bytes, a stall, Range ignored, the file changed.
import { createServer, type IncomingMessage, type RequestListener, type Server, type ServerResponse } from "node:http";
import { createServer as createTlsServer } from "node:https";
import type { AddressInfo, Socket } from "node:net";

export interface Behaviour {
  /** Answer with this status (and a short text body) instead of the file. */
  status?: number;
  headers?: Record<string, string>;
  /** Destroy the socket after this many body bytes. */
  cutAfter?: number;
  /** Stop sending for `ms` after `after` body bytes (after=-1: before the headers). */
  stall?: { after: number; ms: number };
  /** Answer 200 with the whole file whatever Range says. */
  ignoreRange?: boolean;
  /** Serve this content (with its own ETag) instead of the default: "the file changed". */
  data?: Buffer;
  etag?: string | null;
  lastModified?: string | null;
  /** Send `Connection: close` and close after the body. */
  close?: boolean;
  /** Answer a Range request with at most this many bytes (as some CDNs do). */
  capRange?: number;
  /** Delay between 64 KiB chunks, ms. */
  chunkDelayMs?: number;
  /** After `after` body bytes, the rest `bytes` at a time, one piece every `everyMs`: never silent, hardly moving. */
  trickle?: { after: number; bytes: number; everyMs: number };
}

export interface Seen {
  path: string;
  range?: string;
  ifRange?: string;
  status?: number;
  /** Body bytes written before the response ended or was cut. */
  sent: number;
  aborted: boolean;
}

export interface FaultServer {
  port: number;
  url(path?: string): string;
  seen: Seen[];
  close(): Promise<void>;
}

const CHUNK = 64 * 1024;

function pause(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function parseRange(h: string | undefined, size: number): { start: number; end: number } | undefined {
  const m = /^bytes=(\d+)-(\d*)$/.exec(h ?? "");
  if (!m) return undefined;
  const start = Number(m[1]);
  const end = m[2] ? Math.min(Number(m[2]), size - 1) : size - 1;
  return start <= end ? { start, end } : undefined;
}

export async function startFaultServer(
  data: Buffer,
  behave: (n: number, req: IncomingMessage) => Behaviour = () => ({}),
  opts: { etag?: string; lastModified?: string; date?: string; tls?: { key: string; cert: string } } = {},
): Promise<FaultServer> {
  const seen: Seen[] = [];
  const sockets = new Set<Socket>();
  let n = 0;
  const handler: RequestListener = (req, res) => {
    const b = behave(n++, req);
    const record: Seen = { path: req.url ?? "", range: req.headers.range, ifRange: req.headers["if-range"] as string | undefined, sent: 0, aborted: false };
    seen.push(record);
    res.on("close", () => {
      if (!res.writableFinished) record.aborted = true;
    });
    void respond(b, req, res, record).catch(() => res.destroy());
  };
  const server: Server = opts.tls ? createTlsServer(opts.tls, handler) : createServer(handler);
  server.on(opts.tls ? "secureConnection" : "connection", (s: Socket) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });

  async function respond(b: Behaviour, req: IncomingMessage, res: ServerResponse, record: Seen): Promise<void> {
    if (b.stall?.after === -1) await pause(b.stall.ms);
    if (res.destroyed) return;
    const body = b.data ?? data;
    const etag = b.etag === undefined ? (opts.etag ?? `"v1-${data.length}"`) : b.etag;
    const lastModified = b.lastModified === undefined ? (opts.lastModified ?? "Mon, 01 Jan 2024 00:00:00 GMT") : b.lastModified;
    const headers: Record<string, string> = { "accept-ranges": "bytes", ...(b.headers ?? {}) };
    if (etag !== null) headers.etag = etag;
    if (lastModified !== null) headers["last-modified"] = lastModified;
    if (opts.date) headers.date = opts.date;
    if (b.close) headers.connection = "close";
    if (b.status) {
      record.status = b.status;
      res.writeHead(b.status, { ...headers, "content-type": "text/plain" });
      res.end(`status ${b.status}\n`);
      return;
    }
    let start = 0;
    let end = body.length - 1;
    let status = 200;
    const range = parseRange(req.headers.range, body.length);
    if (range && !b.ignoreRange) {
      const ifRange = req.headers["if-range"] as string | undefined;
      // RFC 9110 §13.1.5: strong comparison for an ETag, exact match for a date.
      const matches = ifRange === undefined || (ifRange.startsWith('"') ? ifRange === etag : ifRange === lastModified);
      if (matches) {
        status = 206;
        start = range.start;
        end = b.capRange ? Math.min(range.end, start + b.capRange - 1) : range.end;
        headers["content-range"] = `bytes ${start}-${end}/${body.length}`;
      }
    }
    record.status = status;
    headers["content-length"] = String(end - start + 1);
    res.writeHead(status, headers);
    let sent = 0;
    for (let off = start; off <= end; off += CHUNK) {
      let piece = body.subarray(off, Math.min(off + CHUNK, end + 1));
      if (b.cutAfter !== undefined && sent + piece.length >= b.cutAfter) {
        piece = piece.subarray(0, b.cutAfter - sent);
        res.write(piece);
        record.sent = sent + piece.length;
        await pause(20);
        res.socket?.destroy();
        return;
      }
      if (b.stall && sent >= b.stall.after && b.stall.after >= 0) {
        const { ms } = b.stall;
        b.stall = undefined;
        await pause(ms);
        if (res.destroyed) return;
      }
      if (res.destroyed) return;
      if (b.trickle && sent + piece.length > b.trickle.after) {
        const { after, bytes, everyMs } = b.trickle;
        const fast = Math.max(0, after - sent);
        res.write(piece.subarray(0, fast));
        for (let i = fast; i < piece.length && !res.destroyed; i += bytes) {
          await pause(everyMs);
          res.write(piece.subarray(i, Math.min(i + bytes, piece.length)));
          record.sent = sent + Math.min(i + bytes, piece.length);
        }
        sent += piece.length;
        continue;
      }
      sent += piece.length;
      record.sent = sent;
      if (!res.write(piece)) await new Promise((r) => { res.once("drain", r); res.once("close", r); });
      if (b.chunkDelayMs) await pause(b.chunkDelayMs);
    }
    res.end();
  }

  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    url: (path = "/layer.tar") => `${opts.tls ? "https" : "http"}://127.0.0.1:${port}${path}`,
    seen,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

/** A port with nothing listening on it (bound then released). */
export async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", () => r()));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}
