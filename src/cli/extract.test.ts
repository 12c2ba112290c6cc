// `tarboot extract --key`: an operator checks a published layer and its signed manifest on a host
// exactly as the init will, against a real HTTP server.
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { manifestKeyId } from "../fetch/manifest";
import { startProxy } from "../fetch/testing/proxy-server";
import { type SignedLayer, makeSignedLayer } from "../testing/signed-layer";
import { extractCli } from "./extract";

const tmp = mkdtempSync(join(tmpdir(), "tarboot-extract-cli-"));
let signed: SignedLayer;
let pub: string;

beforeAll(async () => {
  signed = await makeSignedLayer(tmp);
  pub = signed.publicKeyFile;
});
afterAll(async () => {
  await signed?.close();
  rmSync(tmp, { recursive: true, force: true });
});

async function serve(data?: Buffer): Promise<string> {
  return (await signed.serve(data)).url("/base.tar");
}

async function run(argv: string[]): Promise<{ code: number; err: string }> {
  let err = "";
  const spy = vi.spyOn(process.stderr, "write").mockImplementation((s) => ((err += String(s)), true));
  try {
    return { code: await extractCli(argv), err };
  } finally {
    spy.mockRestore();
  }
}

describe("tarboot extract --key", () => {
  it("unpacks a layer that matches its signed manifest and says which key signed it", async () => {
    const url = await serve();
    const dir = join(tmp, "ok");
    mkdirSync(dir);
    const r = await run(["--key", pub, url, dir]);
    expect(r.code, r.err).toBe(0);
    expect(r.err).toContain(`tarboot: ${url}: every chunk matched the manifest signed by ${manifestKeyId(signed.keys.publicKey)}`);
    expect(readFileSync(join(dir, "etc/motd"), "utf8")).toBe("hello\n");
  });

  it("refuses a tampered layer before unpacking any of it", async () => {
    const bad = Buffer.from(signed.layer);
    bad[100] ^= 1;
    const url = await serve(bad);
    const dir = join(tmp, "bad");
    mkdirSync(dir);
    const r = await run(["--quiet", "--retries", "1", "--key", pub, url, dir]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/chunk 0 .*does not match the manifest/);
    expect(readdirSync(dir)).toEqual([]);
  });

  it("--proxy: the manifest and the layer through an HTTP proxy", async () => {
    const url = await serve();
    const proxy = await startProxy();
    try {
      const dir = join(tmp, "proxied");
      mkdirSync(dir);
      const r = await run(["--quiet", "--key", pub, "--proxy", proxy.url, url, dir]);
      expect(r.code, r.err).toBe(0);
      expect(proxy.seen).toEqual([`GET ${url}.manifest`, `GET ${url}`]);
      expect((await run(["--proxy", "https://p:1", url, dir])).err).toContain("--proxy https://p:1: the proxy is spoken to in plain HTTP");
    } finally {
      await proxy.close();
    }
  });

  it("sends a URL's credentials and never prints its password", async () => {
    const { createServer } = await import("node:http");
    const server = createServer((req, res) => res.writeHead(req.headers.authorization === `Basic ${Buffer.from("ops:right").toString("base64")}` ? 200 : 401).end());
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    try {
      const port = (server.address() as { port: number }).port;
      const dir = join(tmp, "cred");
      mkdirSync(dir);
      const r = await run(["--quiet", "--retries", "1", `http://ops:wrong@127.0.0.1:${port}/base.tar`, dir]);
      expect(r.code).toBe(1);
      expect(r.err).toContain(`http://ops:***@127.0.0.1:${port}/base.tar: HTTP 401 Unauthorized`);
      expect(r.err).not.toContain("wrong");
    } finally {
      server.close();
    }
  });

  it("is for URLs only, and names a key file it cannot use", async () => {
    const dir = join(tmp, "file");
    mkdirSync(dir);
    expect((await run(["--key", pub, join(tmp, "base.tar"), dir])).err).toContain("--key is checked for URLs only");
    expect((await run(["--key", join(tmp, "none.pub"), await serve(), dir])).err).toContain(`--key ${join(tmp, "none.pub")}: no such file`);
  });
});
