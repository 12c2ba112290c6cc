// Downloads through a real forwarding proxy: plain HTTP in absolute form, HTTPS through a CONNECT
// tunnel (TLS still checked against the server's certificate), resumption, credentials, bypass.
import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FetchOptions, fetchLayer } from "./index";
import { bypassesProxy, parseProxyUrl, unusedProxyEnv } from "./proxy";
import { type FaultServer, startFaultServer } from "./testing/fault-server";
import { type TestProxy, startProxy } from "./testing/proxy-server";
import { type TestCerts, makeCerts } from "./testing/tls-certs";

const MiB = 1024 * 1024;
const data = randomBytes(3 * MiB);
const sha = createHash("sha256").update(data).digest("hex");
const base: FetchOptions = { label: "layer 1/1", retries: 3, timeoutMs: 5_000, progress: false, backoff: { baseMs: 10, maxMs: 50 } };
const closers: Array<{ close(): Promise<void> }> = [];
let tmp: string;
let certs: TestCerts;

beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), "tarboot-proxy-"));
  certs = makeCerts(tmp);
});
afterAll(async () => {
  await Promise.all(closers.map((c) => c.close()));
  rmSync(tmp, { recursive: true, force: true });
});

async function origin(...args: Parameters<typeof startFaultServer>): Promise<FaultServer> {
  const s = await startFaultServer(...args);
  closers.push(s);
  return s;
}

async function proxy(opts?: Parameters<typeof startProxy>[0]): Promise<TestProxy> {
  const p = await startProxy(opts);
  closers.push(p);
  return p;
}

async function digest(body: Readable): Promise<string> {
  const h = createHash("sha256");
  for await (const c of body) h.update(c);
  return h.digest("hex");
}

describe("proxy settings", () => {
  it("parses http://[user:password@]host[:port] and refuses anything else", () => {
    expect(parseProxyUrl("http://proxy.example:3128")).toEqual({ url: "http://proxy.example:3128", host: "proxy.example", port: 3128 });
    expect(parseProxyUrl("http://[fd00::1]/")).toEqual({ url: "http://[fd00::1]", host: "fd00::1", port: 80 });
    expect(parseProxyUrl("http://u%40x:p%3Aw@p:8080").authorization).toBe(`Basic ${Buffer.from("u@x:p:w").toString("base64")}`);
    expect(parseProxyUrl("http://u:p@p:8080").url).toBe("http://p:8080");
    expect(() => parseProxyUrl("https://p:3128")).toThrow("the proxy is spoken to in plain HTTP (http://host:port), not https:");
    expect(() => parseProxyUrl("http://p:3128/x")).toThrow("a proxy URL has no path, query or fragment");
    expect(() => parseProxyUrl("p:3128")).toThrow(/plain HTTP|not a URL/);
  });

  it("bypasses * , the hosts and the domains no-proxy names, and nothing else", () => {
    const list = ["bootsrv", ".cluster.example", "lab.example", "10.0.0.5"];
    for (const h of ["bootsrv", "BOOTSRV.", "n1.cluster.example", "cluster.example", "a.lab.example", "10.0.0.5"]) expect(bypassesProxy(h, list), h).toBe(true);
    for (const h of ["bootsrv.other", "xlab.example", "10.0.0.50", "110.0.0.5", "mirror.example"]) expect(bypassesProxy(h, list), h).toBe(false);
    expect(bypassesProxy("anything", ["*"])).toBe(true);
    expect(bypassesProxy("[fd00::1]", ["fd00::1"])).toBe(true);
    // IPv4 ranges match addresses, not names.
    const ranges = ["10.8.0.0/16", "192.168.1.128/25"];
    for (const h of ["10.8.0.1", "10.8.255.255", "192.168.1.200"]) expect(bypassesProxy(h, ranges), h).toBe(true);
    for (const h of ["10.9.0.1", "192.168.1.100", "10.8.0.0.example"]) expect(bypassesProxy(h, ranges), h).toBe(false);
    expect(bypassesProxy("1.2.3.4", ["0.0.0.0/0"])).toBe(true);
    // IPv6: the same address however it is written, and ranges; never across families.
    expect(bypassesProxy("[fd00:0:0::0001]", ["FD00::1"])).toBe(true);
    expect(bypassesProxy("[fd00::2]", ["fd00::1"])).toBe(false);
    const v6 = ["fd00:10::/32", "2001:db8::/126"];
    for (const h of ["[fd00:10::5]", "[fd00:10:ffff::1]", "[2001:db8::3]"]) expect(bypassesProxy(h, v6), h).toBe(true);
    for (const h of ["[fd00:11::5]", "[2001:db8::4]", "10.0.0.1", "fd00.example"]) expect(bypassesProxy(h, v6), h).toBe(false);
    expect(bypassesProxy("[fd00::1]", ["0.0.0.0/0"])).toBe(false);
    expect(bypassesProxy("10.0.0.1", ["::/0"])).toBe(false);
  });
});

describe("a proxy in the environment", () => {
  it("is named as not read, never silently used or dropped", () => {
    expect(unusedProxyEnv({ PATH: "/bin" }, undefined)).toBeUndefined();
    expect(unusedProxyEnv({ http_proxy: "http://p:3128" }, undefined)).toBe("http_proxy=http://p:3128 is not read (tarboot's proxy is tarboot.proxy=): downloading directly");
    expect(unusedProxyEnv({ HTTPS_PROXY: "http://q:8080" }, parseProxyUrl("http://p:3128"))).toBe(
      "HTTPS_PROXY=http://q:8080 is not read (tarboot's proxy is tarboot.proxy=): the downloads use tarboot.proxy=http://p:3128",
    );
  });
});

describe("fetchLayer through a proxy", () => {
  it("plain HTTP: asks the proxy in absolute form and resumes through it after a cut", async () => {
    const srv = await origin(data, (n) => (n === 0 ? { cutAfter: MiB } : {}));
    const p = await proxy();
    const done = await fetchLayer([srv.url()], { ...base, proxy: parseProxyUrl(p.url), sha256: sha }, digest);
    expect(done.result).toBe(sha);
    expect(p.seen).toEqual([`GET ${srv.url()}`, `GET ${srv.url()}`]);
    expect(srv.seen.map((s) => s.range)).toEqual([undefined, `bytes=${MiB}-`]);
  });

  it("HTTPS: a CONNECT tunnel, the server's certificate still checked", async () => {
    const srv = await origin(data, () => ({}), { tls: { key: certs.key, cert: certs.cert } });
    const p = await proxy();
    const done = await fetchLayer([srv.url()], { ...base, proxy: parseProxyUrl(p.url), caFile: certs.caFile }, digest);
    expect(done.result).toBe(sha);
    expect(p.seen).toEqual([`CONNECT 127.0.0.1:${srv.port}`]);
    const untrusted = await fetchLayer([srv.url()], { ...base, proxy: parseProxyUrl(p.url) }, digest).catch((e) => e);
    expect(untrusted.message).toContain("TLS: certificate not trusted");
  });

  it("sends the URL's credentials, and says when the proxy refuses a tunnel", async () => {
    const srv = await origin(data);
    const needs = `Basic ${Buffer.from("node:secret").toString("base64")}`;
    const p = await proxy({ requireAuth: needs });
    const ok = await fetchLayer([srv.url()], { ...base, proxy: parseProxyUrl(p.url.replace("//", "//node:secret@")) }, digest);
    expect(ok.result).toBe(sha);
    expect(p.auth).toEqual([needs]);
    const denied = await fetchLayer([srv.url()], { ...base, proxy: parseProxyUrl(p.url) }, digest).catch((e) => e);
    expect(denied.message).toBe(`layer 1/1: all sources failed: ${srv.url()}: HTTP 407 Proxy Authentication Required`);

    const tls = await origin(data, () => ({}), { tls: { key: certs.key, cert: certs.cert } });
    const strict = await proxy({ refuseConnect: 403 });
    const refused = await fetchLayer([tls.url()], { ...base, proxy: parseProxyUrl(strict.url), caFile: certs.caFile }, digest).catch((e) => e);
    expect(refused.message).toBe(`layer 1/1: all sources failed: ${tls.url()}: proxy ${strict.url} refused CONNECT 127.0.0.1:${tls.port}: 403 Forbidden`);
    expect(strict.seen).toHaveLength(1); // a policy answer: not asked again
  });

  it("goes directly to the hosts no-proxy names", async () => {
    const srv = await origin(data);
    const p = await proxy();
    const done = await fetchLayer([srv.url()], { ...base, proxy: parseProxyUrl(p.url), noProxy: ["127.0.0.1"] }, digest);
    expect(done.result).toBe(sha);
    expect(p.seen).toEqual([]);
  });
});
