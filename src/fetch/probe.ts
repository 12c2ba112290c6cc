// One look at a layer source without downloading it: a GET for its first 512 bytes (redirects
// followed, through the proxy as a node would go), which says whether the server has it, how big
// it is and what it starts with. `tarboot check --fetch` reports this per source before a fleet
// reboots into a URL nobody tried.
import { Writable } from "node:stream";
import { detectCompression, type Compression } from "../unpack/detect";
import { checksumOk, isZeroBlock } from "../unpack/header";
import { classifyFailure } from "./classify";
import { clientOptions } from "./connection";
import { httpGet } from "./http-client";
import { type Proxy, proxyFor } from "./proxy";
import { MAX_REDIRECTS, REDIRECT_STATUSES, header, parseContentRange, statusText } from "./resume";

const HEAD_BYTES = 512;

export interface ProbeOptions {
  timeoutMs: number;
  caFile?: string;
  proxy?: Proxy;
  noProxy?: readonly string[];
}

export type Probe =
  /** The server has it: what it starts with, and its size when the server said. */
  | { ok: true; url: string; status: number; size?: number; compression: Compression; redirectedTo?: string }
  /** It does not, or cannot be asked: the cause as the boot's console would word it. */
  | { ok: false; url: string; cause: string; status?: number };

/** Stops the body once the first bytes are in: not a failure. */
class Enough extends Error {}

export async function probeSource(url: string, o: ProbeOptions): Promise<Probe> {
  const client = clientOptions({ timeoutMs: o.timeoutMs, caFile: o.caFile });
  let target = new URL(url);
  for (let hop = 0; ; hop++) {
    let status = 0;
    let location: string | undefined;
    let size: number | undefined;
    const head: Buffer[] = [];
    let got = 0;
    try {
      await httpGet(
        client,
        { url: target, headers: { "user-agent": "tarboot", "accept-encoding": "identity", range: `bytes=0-${HEAD_BYTES - 1}` }, proxy: proxyFor(target, o.proxy, o.noProxy) },
        ({ statusCode, headers }) => {
          status = statusCode;
          location = header(headers, "location");
          const length = Number(header(headers, "content-length"));
          size = statusCode === 206 ? parseContentRange(header(headers, "content-range"))?.complete : Number.isFinite(length) ? length : undefined;
          return new Writable({
            write(chunk: Buffer, _enc, done) {
              head.push(chunk);
              got += chunk.length;
              done(got >= HEAD_BYTES ? new Enough() : null);
            },
          });
        },
      );
    } catch (err) {
      if (!(err instanceof Enough)) {
        const f = classifyFailure(err, { timeoutMs: o.timeoutMs });
        return { ok: false, url, cause: f.cause, ...(status ? { status } : {}) };
      }
    }
    // As far as a node's download would follow them.
    if (REDIRECT_STATUSES.includes(status) && location !== undefined) {
      if (hop >= MAX_REDIRECTS) return { ok: false, url, cause: "too many redirects", status };
      target = new URL(location, target);
      continue;
    }
    if (status !== 200 && status !== 206) return { ok: false, url, cause: statusText(status), status };
    const first = Buffer.concat(head).subarray(0, HEAD_BYTES);
    const compression = detectCompression(first);
    if (compression === "none" && !(first.length === HEAD_BYTES && (isZeroBlock(first, 0) || checksumOk(first, 0)))) {
      return { ok: false, url, cause: `not a tar archive (starts with ${first.toString("hex", 0, 16)})`, status };
    }
    return { ok: true, url, status, compression, ...(size !== undefined ? { size } : {}), ...(target.href !== url ? { redirectedTo: target.href } : {}) };
  }
}
