// fetchLayer against a real nginx (Debian nginx-light): its own ETag, Range and If-Range handling. A TCP
// proxy in front cuts chosen connections mid-body and shows the requests exactly as they went out.
import { createHash, randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fetchLayer, RestartLayerError, type FetchOptions } from "./index";
import { startCutProxy, type CutProxy } from "./testing/cut-proxy";
import { startNginx, type Nginx } from "./testing/nginx";

const MiB = 1024 * 1024;
const data = randomBytes(8 * MiB);
const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");
const base: FetchOptions = { label: "layer 1/2", retries: 3, timeoutMs: 5_000, progress: false, backoff: { baseMs: 20, maxMs: 100 } };

async function digest(body: Readable): Promise<string> {
  const h = createHash("sha256");
  for await (const c of body) h.update(c);
  return h.digest("hex");
}

function header(head: string, name: string): string | undefined {
  const m = new RegExp(`^${name}: (.*)$`, "im").exec(head);
  return m?.[1].trim();
}

let tmp: string;
let www: string;
let nginx: Nginx;
const proxies: CutProxy[] = [];

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), "tarboot-nginx-"));
  www = join(tmp, "www");
  mkdirSync(www);
  writeFileSync(join(www, "base.tar.zst"), data);
  nginx = await startNginx(tmp, www);
});

afterAll(async () => {
  await Promise.all(proxies.map((p) => p.close()));
  await nginx?.stop();
  rmSync(tmp, { recursive: true, force: true });
});

describe("fetchLayer with nginx", () => {
  it("downloads a file, sha256 verified", async () => {
    const done = await fetchLayer([nginx.url("/base.tar.zst")], { ...base, sha256: sha(data) }, digest);
    expect(done.result).toBe(sha(data));
    expect(done.attempts).toBe(1);
  });

  it("resumes a cut connection with Range and If-Range carrying nginx's own ETag, nginx answers 206", async () => {
    const proxy = await startCutProxy(nginx.port, (conn) => (conn === 0 ? 3 * MiB : undefined));
    proxies.push(proxy);
    const url = `http://127.0.0.1:${proxy.port}/base.tar.zst`;
    const done = await fetchLayer([url], base, digest);
    expect(done.result).toBe(sha(data));
    expect(done).toMatchObject({ attempts: 2, restarts: 0, bytes: data.length });
    const etag = header(proxy.responses[0], "etag");
    expect(etag).toMatch(/^"[0-9a-f]+-[0-9a-f]+"$/);
    const resumedAt = Number(/^bytes=(\d+)-$/.exec(header(proxy.requests[1], "range") ?? "")?.[1]);
    expect(resumedAt).toBeGreaterThan(2 * MiB);
    expect(header(proxy.requests[1], "if-range")).toBe(etag);
    expect(proxy.responses[1]).toMatch(/^HTTP\/1\.1 206 /);
    expect(header(proxy.responses[1], "content-range")).toBe(`bytes ${resumedAt}-${data.length - 1}/${data.length}`);
  });

  it("restarts from 0 when the file changed on nginx between the cut and the resume", async () => {
    const path = join(www, "site.tar.gz");
    writeFileSync(path, data);
    utimesSync(path, 1_700_000_000, 1_700_000_000);
    const v2 = randomBytes(data.length);
    const proxy = await startCutProxy(nginx.port, (conn) => {
      if (conn === 1) {
        // The file is replaced (same size, new mtime: a new ETag) before the resumed request reaches nginx.
        writeFileSync(path, v2);
        utimesSync(path, 1_700_000_100, 1_700_000_100);
      }
      return conn === 0 ? 2 * MiB : undefined;
    });
    proxies.push(proxy);
    const errors: unknown[] = [];
    const done = await fetchLayer([`http://127.0.0.1:${proxy.port}/site.tar.gz`], base, (body) =>
      digest(body).catch((e) => {
        errors.push(e);
        throw e;
      }),
    );
    expect(done.result).toBe(sha(v2));
    expect(done.restarts).toBe(1);
    expect(header(proxy.requests[1], "if-range")).toBe(header(proxy.responses[0], "etag"));
    expect(proxy.responses[1]).toMatch(/^HTTP\/1\.1 200 /);
    expect(errors[0]).toBeInstanceOf(RestartLayerError);
    expect((errors[0] as Error).message).toContain("file changed on the server (ETag ");
  });

  it("a missing file on nginx is a permanent 404", async () => {
    const err = await fetchLayer([nginx.url("/nope.tar")], base, digest).catch((e) => e);
    expect(err.message).toBe(`layer 1/2: all sources failed: ${nginx.url("/nope.tar")}: HTTP 404 Not Found`);
  });
});
