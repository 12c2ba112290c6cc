// Reading one HTTP/1.1 response (RFC 9112) from the bytes of a connection, as pure state: the head,
// then the body framed by Transfer-Encoding: chunked, Content-Length or the end of the connection.
// Body pieces are views of the input, not copies: a layer is hundreds of megabytes.

export type ResponseHeaders = Record<string, string | string[]>;

export interface ResponseHead {
  statusCode: number;
  headers: ResponseHeaders;
}

/** The response cannot be read; `code` is what the download's classifier keys on. */
export class HttpResponseError extends Error {
  constructor(
    readonly code: "HTTP_BAD_RESPONSE" | "HTTP_BODY_TRUNCATED" | "HTTP_CLOSED",
    message: string,
  ) {
    super(message);
    this.name = "HttpResponseError";
  }
}

/** The connection ended before a complete response head. */
export function closedBeforeResponse(): HttpResponseError {
  return new HttpResponseError("HTTP_CLOSED", "connection closed before a response");
}

const MAX_HEAD = 64 * 1024;
const MAX_CHUNK_LINE = 4096;
const STATUS_LINE = /^HTTP\/1\.[01] ([1-9]\d\d)(?: [^\r\n]*)?$/;
const HEADER_LINE = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+):[ \t]*(.*?)[ \t]*$/;

const bad = (message: string) => new HttpResponseError("HTTP_BAD_RESPONSE", message);

export function parseHead(text: string): ResponseHead {
  const lines = text.split(/\r?\n/);
  const status = STATUS_LINE.exec(lines[0]);
  if (!status) throw bad(`invalid status line "${lines[0].slice(0, 80)}"`);
  const headers: ResponseHeaders = {};
  for (const line of lines.slice(1)) {
    if (line === "") continue;
    const m = HEADER_LINE.exec(line);
    if (!m) throw bad(`invalid header line "${line.slice(0, 80)}"`);
    const name = m[1].toLowerCase();
    const old = headers[name];
    headers[name] = old === undefined ? m[2] : Array.isArray(old) ? [...old, m[2]] : [old, m[2]];
  }
  return { statusCode: Number(status[1]), headers };
}

type Framing = { kind: "none" } | { kind: "length"; left: number } | { kind: "chunked" } | { kind: "close" };

/** How the body of a response to a GET is delimited (RFC 9112 §6.3). */
export function framing(head: ResponseHead): Framing {
  const { statusCode, headers } = head;
  if (statusCode === 204 || statusCode === 304) return { kind: "none" };
  const te = headers["transfer-encoding"];
  if (te !== undefined) {
    const codings = [te].flat().join(",").split(",").map((c) => c.trim().toLowerCase());
    return codings[codings.length - 1] === "chunked" ? { kind: "chunked" } : { kind: "close" };
  }
  const cl = headers["content-length"];
  if (cl !== undefined) {
    const values = new Set([cl].flat().join(",").split(",").map((v) => v.trim()));
    const [only] = values;
    if (values.size !== 1 || !/^\d{1,15}$/.test(only)) throw bad(`invalid Content-Length "${[cl].flat().join(", ")}"`);
    return { kind: "length", left: Number(only) };
  }
  return { kind: "close" };
}

type ChunkState = "size" | "data" | "data-end" | "trailer";

export class ResponseReader {
  head?: ResponseHead;
  done = false;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private frame?: Framing;
  private chunk: ChunkState = "size";
  private chunkLeft = 0;
  private line = "";

  /**
   * Feeds bytes from the connection. Returns the body bytes among them (views of `data`); `head` is
   * set once the final (non-1xx) head has been read, `done` once the body is complete.
   */
  push(data: Buffer): Buffer[] {
    if (this.done) return [];
    if (!this.frame) {
      const rest = this.readHead(data);
      if (!rest) return [];
      data = rest;
    }
    switch (this.frame!.kind) {
      case "none":
        this.done = true;
        return [];
      case "close":
        return data.length > 0 ? [data] : [];
      case "length":
        return this.byLength(data);
      case "chunked":
        return this.chunked(data);
    }
  }

  /** The connection ended. Throws when that cuts the response short. */
  end(): void {
    if (this.done) return;
    if (!this.head) throw closedBeforeResponse();
    if (this.frame?.kind === "close") {
      this.done = true;
      return;
    }
    throw new HttpResponseError("HTTP_BODY_TRUNCATED", "connection closed before the end of the body");
  }

  private readHead(data: Buffer): Buffer | undefined {
    for (;;) {
      const joined = this.pendingBytes > 0 ? Buffer.concat([...this.pending, data]) : data;
      const end = headEnd(joined, Math.max(0, this.pendingBytes - 3));
      if (end < 0) {
        if (joined.length > MAX_HEAD) throw bad(`response head larger than ${MAX_HEAD / 1024} KiB`);
        this.pending = [joined];
        this.pendingBytes = joined.length;
        return undefined;
      }
      if (end > MAX_HEAD) throw bad(`response head larger than ${MAX_HEAD / 1024} KiB`);
      const head = parseHead(joined.toString("latin1", 0, end).trimEnd());
      this.pending = [];
      this.pendingBytes = 0;
      data = joined.subarray(end);
      // Interim answers (100 Continue, 103 Early Hints) precede the real one.
      if (head.statusCode < 200) continue;
      this.head = head;
      this.frame = framing(head);
      return data;
    }
  }

  private byLength(data: Buffer): Buffer[] {
    const f = this.frame as { kind: "length"; left: number };
    const take = Math.min(f.left, data.length);
    f.left -= take;
    if (f.left === 0) this.done = true;
    return take > 0 ? [data.subarray(0, take)] : [];
  }

  private chunked(data: Buffer): Buffer[] {
    const out: Buffer[] = [];
    let at = 0;
    while (at < data.length && !this.done) {
      if (this.chunk === "data") {
        const take = Math.min(this.chunkLeft, data.length - at);
        out.push(data.subarray(at, at + take));
        at += take;
        this.chunkLeft -= take;
        if (this.chunkLeft === 0) this.chunk = "data-end";
        continue;
      }
      const nl = data.indexOf(10, at);
      const piece = data.toString("latin1", at, nl < 0 ? data.length : nl);
      at = nl < 0 ? data.length : nl + 1;
      this.line += piece;
      if (this.line.length > MAX_CHUNK_LINE) throw bad("chunk header line too long");
      if (nl < 0) break;
      const line = this.line.replace(/\r$/, "");
      this.line = "";
      this.chunkLine(line);
    }
    return out;
  }

  private chunkLine(line: string): void {
    switch (this.chunk) {
      case "size": {
        const m = /^([0-9A-Fa-f]{1,12})[ \t]*(?:;.*)?$/.exec(line);
        if (!m) throw bad(`invalid chunk size "${line.slice(0, 40)}"`);
        this.chunkLeft = parseInt(m[1], 16);
        this.chunk = this.chunkLeft === 0 ? "trailer" : "data";
        return;
      }
      case "data-end":
        if (line !== "") throw bad("chunk not followed by CRLF");
        this.chunk = "size";
        return;
      case "trailer":
        if (line === "") this.done = true;
        return;
    }
  }
}

/** Offset just past the blank line ending a head, searching from `from`; -1 if not there yet. */
function headEnd(buf: Buffer, from: number): number {
  for (let i = buf.indexOf(10, from); i >= 0; i = buf.indexOf(10, i + 1)) {
    if (buf[i + 1] === 10) return i + 2;
    if (buf[i + 1] === 13 && buf[i + 2] === 10) return i + 3;
  }
  return -1;
}
