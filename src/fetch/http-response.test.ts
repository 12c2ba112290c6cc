import { describe, expect, it } from "vitest";
import { HttpResponseError, ResponseReader, framing, parseHead } from "./http-response";

/** Feeds `wire` in pieces of `step` bytes; returns the reader and the body it gave. */
function read(wire: string | Buffer, step = Infinity) {
  const bytes = typeof wire === "string" ? Buffer.from(wire, "latin1") : wire;
  const r = new ResponseReader();
  const body: Buffer[] = [];
  for (let at = 0; at < bytes.length; at += step) body.push(...r.push(bytes.subarray(at, Math.min(bytes.length, at + step))));
  return { r, body: Buffer.concat(body).toString("latin1") };
}

function codeOf(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    return e instanceof HttpResponseError ? `${e.code}: ${e.message}` : String(e);
  }
  return undefined;
}

describe("response head", () => {
  it("lowercases names, trims values and keeps repeated fields in order", () => {
    expect(parseHead("HTTP/1.1 206 Partial Content\r\nETag:  \"x\" \r\nSet-Cookie: a\r\nset-cookie: b\r\nX-Empty:")).toEqual({
      statusCode: 206,
      headers: { etag: '"x"', "set-cookie": ["a", "b"], "x-empty": "" },
    });
    expect(parseHead("HTTP/1.0 200").statusCode).toBe(200);
  });

  it("refuses what is not an HTTP/1 response", () => {
    expect(codeOf(() => parseHead("SSH-2.0-OpenSSH_9.2"))).toBe('HTTP_BAD_RESPONSE: invalid status line "SSH-2.0-OpenSSH_9.2"');
    expect(codeOf(() => parseHead("HTTP/1.1 200 OK\r\nno colon here"))).toMatch(/invalid header line "no colon here"/);
    expect(codeOf(() => parseHead("HTTP/1.1 200 OK\r\n folded: x"))).toMatch(/invalid header line/);
  });

  it("frames the body by Transfer-Encoding, then Content-Length, else the connection's end", () => {
    const f = (status: number, headers: Record<string, string | string[]>) => framing({ statusCode: status, headers });
    expect(f(200, { "transfer-encoding": "gzip, chunked", "content-length": "5" })).toEqual({ kind: "chunked" });
    expect(f(200, { "transfer-encoding": "gzip" })).toEqual({ kind: "close" });
    expect(f(200, { "content-length": ["7", "7"] })).toEqual({ kind: "length", left: 7 });
    expect(f(200, {})).toEqual({ kind: "close" });
    expect(f(304, { "content-length": "9" })).toEqual({ kind: "none" });
    expect(codeOf(() => f(200, { "content-length": ["7", "8"] }))).toMatch(/invalid Content-Length "7, 8"/);
    expect(codeOf(() => f(200, { "content-length": "-1" }))).toMatch(/invalid Content-Length/);
  });
});

describe("ResponseReader", () => {
  const sized = "HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\nhello worldEXTRA";

  it("reads a Content-Length body however the bytes are split, and nothing past it", () => {
    for (const step of [1, 2, 7, 40, Infinity]) {
      const { r, body } = read(sized, step);
      expect(body).toBe("hello world");
      expect(r.done).toBe(true);
      expect(r.head?.headers["content-length"]).toBe("11");
    }
  });

  it("decodes chunked bodies with extensions and trailers, split anywhere", () => {
    const wire = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;name=v\r\nhello\r\n1\r\n \r\nA\r\n0123456789\r\n0\r\nX-Trailer: y\r\n\r\n";
    for (const step of [1, 3, 16, Infinity]) {
      const { r, body } = read(wire, step);
      expect(body).toBe("hello 0123456789");
      expect(r.done).toBe(true);
    }
  });

  it("skips interim 1xx answers and accepts bare LF line ends", () => {
    const { r, body } = read("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\nContent-Length: 2\n\nok", 5);
    expect(r.head?.statusCode).toBe(200);
    expect(body).toBe("ok");
  });

  it("ends a close-delimited body at the connection's end, and a bodiless status at once", () => {
    const { r, body } = read("HTTP/1.0 200 OK\r\n\r\nuntil the end", 4);
    expect(r.done).toBe(false);
    r.end();
    expect([r.done, body]).toEqual([true, "until the end"]);
    expect(read("HTTP/1.1 304 Not Modified\r\nContent-Length: 5\r\n\r\n").r.done).toBe(true);
  });

  it("says when the connection ended too early", () => {
    expect(codeOf(() => read("HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\nhello").r.end())).toBe(
      "HTTP_BODY_TRUNCATED: connection closed before the end of the body",
    );
    expect(codeOf(() => read("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n").r.end())).toMatch(/HTTP_BODY_TRUNCATED/);
    expect(codeOf(() => read("HTTP/1.1 200 O").r.end())).toBe("HTTP_CLOSED: connection closed before a response");
  });

  it("refuses broken chunking and endless heads", () => {
    expect(codeOf(() => read("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"))).toMatch(/invalid chunk size "zz"/);
    expect(codeOf(() => read("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n"))).toMatch(/chunk not followed by CRLF/);
    const endless = Buffer.from(`HTTP/1.1 200 OK\r\n${"X-Filler: yes\r\n".repeat(6000)}`, "latin1");
    expect(codeOf(() => read(endless, 4096))).toMatch(/response head larger than 64 KiB/);
  });
});
