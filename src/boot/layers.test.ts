// The mount stage's layer policy against a real HTTP server: with trusted keys in the initramfs every
// layer needs a valid signed manifest, and no byte of a layer that fails it reaches the extractor.
import { generateKeyPairSync } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { type Server, createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createManifest, manifestKeyId, signManifest } from "../fetch/manifest";
import { type FaultServer, startFaultServer } from "../fetch/testing/fault-server";
import { parseProxyUrl } from "../fetch/proxy";
import { type TestProxy, startProxy } from "../fetch/testing/proxy-server";
import { captureLog } from "../testing/log-lines";
import { bootConfig } from "../testing/root-fixtures";
import { CHUNK, type SignedLayer, makeSignedLayer } from "../testing/signed-layer";
import { parseLayers } from "../cmdline/layers";
import { unpackLayers } from "./layers";

const tmp = mkdtempSync(join(tmpdir(), "tarboot-layers-"));
let signed: SignedLayer;
let keysDir: string;
const closers: TestProxy[] = [];

beforeAll(async () => {
  signed = await makeSignedLayer(tmp);
  keysDir = dirname(signed.publicKeyFile);
});
afterAll(async () => {
  await Promise.all(closers.map((c) => c.close()));
  await signed?.close();
  rmSync(tmp, { recursive: true, force: true });
});

function layersOf(s: FaultServer) {
  const url = s.url("/base.tar");
  return bootConfig({ layers: [{ index: 1, raw: url, urls: [url] }], retries: 1, timeout: 5 });
}

function freshRoot(name: string): string {
  const root = join(tmp, name);
  mkdirSync(root);
  return root;
}

describe("unpackLayers and manifest keys", () => {
  it("with a trusted key, a layer whose signed manifest matches is unpacked", async () => {
    const s = await signed.serve();
    const root = freshRoot("signed");
    const r = await unpackLayers(layersOf(s), null, root, keysDir);
    expect(r).toMatchObject([{ index: 1, url: s.url("/base.tar"), bytes: signed.layer.length, entries: 3, manifestKey: manifestKeyId(signed.keys.publicKey) }]);
    expect(readFileSync(join(root, "etc/motd"), "utf8")).toBe("hello\n");
    expect(s.seen.map((x) => x.path)).toEqual(["/base.tar.manifest", "/base.tar"]);
  });

  it("without trusted keys no manifest is asked for", async () => {
    const s = await signed.serve(undefined, { status: 404 });
    const root = freshRoot("unsigned");
    const r = await unpackLayers(layersOf(s), null, root, join(tmp, "no-keys"));
    expect(r[0].manifestKey).toBeUndefined();
    expect(s.seen.map((x) => x.path)).toEqual(["/base.tar"]);
    expect(readFileSync(join(root, "etc/motd"), "utf8")).toBe("hello\n");
  });

  it("with a trusted key, a layer without a manifest is refused before it is downloaded", async () => {
    const s = await signed.serve(undefined, { status: 404 });
    const root = freshRoot("missing");
    await expect(unpackLayers(layersOf(s), null, root, keysDir)).rejects.toThrow(
      `layer 1/1: no valid manifest: ${s.url("/base.tar")}.manifest: HTTP 404 Not Found`,
    );
    expect(s.seen.map((x) => x.path)).toEqual(["/base.tar.manifest"]);
    expect(readdirSync(root)).toEqual([]);
  });

  it("a manifest signed by another key is refused, naming the key", async () => {
    const stranger = generateKeyPairSync("ed25519");
    const forged = Buffer.from(signManifest(await createManifest("base.tar", Readable.from([signed.layer]), CHUNK), stranger.privateKey));
    const s = await signed.serve(undefined, { data: forged });
    await expect(unpackLayers(layersOf(s), null, freshRoot("forged"), keysDir)).rejects.toThrow(
      `signed by unknown key ${manifestKeyId(stranger.publicKey)}, not one the initramfs trusts`,
    );
  });

  it("tarboot.proxy=: the manifest and the layer are fetched through the proxy", async () => {
    const s = await signed.serve();
    const proxy = await startProxy();
    closers.push(proxy);
    const root = freshRoot("proxied");
    await unpackLayers({ ...layersOf(s), proxy: parseProxyUrl(proxy.url) }, null, root, keysDir);
    expect(proxy.seen).toEqual([`GET ${s.url("/base.tar")}.manifest`, `GET ${s.url("/base.tar")}`]);
    expect(readFileSync(join(root, "etc/motd"), "utf8")).toBe("hello\n");
  });

  it("a tampered layer: the chunk fails its digest and nothing of it is unpacked", async () => {
    const tampered = Buffer.from(signed.layer);
    tampered[600] ^= 0xff; // inside etc/motd's header, in the first chunk
    const s = await signed.serve(tampered);
    const root = freshRoot("tampered");
    await expect(unpackLayers(layersOf(s), null, root, keysDir)).rejects.toThrow(/does not match the manifest/);
    expect(readdirSync(root)).toEqual([]);
  });
});

describe("#optional layers", () => {
  // A plain server: the layer at /base.tar, nothing at /node7.tar (404) or /node8.tar (410), a
  // failing /broken.tar (500) and a forbidden /secret.tar (403).
  const STATUS: Record<string, number> = { "/node7.tar": 404, "/node8.tar": 410, "/broken.tar": 500, "/secret.tar": 403 };
  let server: Server;
  let base: string;
  const seen: string[] = [];
  beforeAll(async () => {
    server = createServer((req, res) => {
      seen.push(req.url ?? "");
      const status = STATUS[req.url ?? ""] ?? (req.url === "/base.tar" ? 200 : 404);
      res.writeHead(status, { "content-length": status === 200 ? signed.layer.length : 0 });
      res.end(status === 200 ? signed.layer : undefined);
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  const layers = (...raw: string[]) => bootConfig({ layers: parseLayers(raw.join(","), []), retries: 2, timeout: 5 });

  it("is skipped when every source answers 404 or 410, and the next layer still comes", async () => {
    const root = freshRoot("optional-absent");
    seen.length = 0;
    const r = await unpackLayers(layers(`${base}/node7.tar|${base}/node8.tar#optional`, `${base}/base.tar`), null, root, join(tmp, "no-keys"));
    expect(r).toMatchObject([
      { index: 1, url: `${base}/node7.tar`, bytes: 0, entries: 0, absent: true },
      { index: 2, url: `${base}/base.tar`, entries: 3 },
    ]);
    expect(r[1]).not.toHaveProperty("absent");
    expect(seen).toEqual(["/node7.tar", "/node8.tar", "/base.tar"]);
    expect(readFileSync(join(root, "etc/motd"), "utf8")).toBe("hello\n");
  });

  it("is unpacked when it is there", async () => {
    const root = freshRoot("optional-present");
    const r = await unpackLayers(layers(`${base}/base.tar#optional`), null, root, join(tmp, "no-keys"));
    expect(r).toMatchObject([{ index: 1, entries: 3 }]);
    expect(r[0]).not.toHaveProperty("absent");
  });

  it("stays fatal for anything but 'not there': a 500 among the sources, a 403, and a layer without #optional", async () => {
    await expect(unpackLayers(layers(`${base}/node7.tar|${base}/broken.tar#optional`), null, freshRoot("o1"), join(tmp, "no-keys"))).rejects.toThrow(
      `layer 1/1: all sources failed: ${base}/node7.tar: HTTP 404 Not Found; ${base}/broken.tar: HTTP 500 Internal Server Error (2 attempts)`,
    );
    await expect(unpackLayers(layers(`${base}/secret.tar#optional`), null, freshRoot("o2"), join(tmp, "no-keys"))).rejects.toThrow(
      `${base}/secret.tar: HTTP 403 Forbidden`,
    );
    await expect(unpackLayers(layers(`${base}/node7.tar`), null, freshRoot("o3"), join(tmp, "no-keys"))).rejects.toThrow(`${base}/node7.tar: HTTP 404 Not Found`);
  });

  it("with a trusted key, is skipped when its manifest is not there, and never downloaded", async () => {
    seen.length = 0;
    const r = await unpackLayers(layers(`${base}/node7.tar#optional`), null, freshRoot("o4"), keysDir);
    expect(r).toMatchObject([{ index: 1, absent: true }]);
    expect(seen).toEqual(["/node7.tar.manifest"]);
  });
});

describe("a server that failed a layer", () => {
  it("is tried last for the next layers, with a line saying why", async () => {
    const bad = await startFaultServer(signed.layer, () => ({ status: 503 }));
    const good = await startFaultServer(signed.layer);
    try {
      const alts = (name: string) => `${bad.url(`/${name}`)}|${good.url(`/${name}`)}`;
      const cfg = bootConfig({ layers: parseLayers(`${alts("a.tar")},${alts("b.tar")},${alts("c.tar")}`, []), retries: 2, timeout: 5 });
      const lines = await captureLog(() => unpackLayers(cfg, null, freshRoot("demoted"), join(tmp, "no-keys")));
      // Two attempts for the first layer only; the later ones went to the good server first.
      expect(bad.seen.map((s) => s.path)).toEqual(["/a.tar", "/a.tar"]);
      expect(good.seen.map((s) => s.path)).toEqual(["/a.tar", "/b.tar", "/c.tar"]);
      const origin = new URL(bad.url()).origin;
      expect(lines).toContain(`layer 2/3: ${origin} is tried last: it failed layer 1/3 (HTTP 503 Service Unavailable, 2 attempts)`);
    } finally {
      await bad.close();
      await good.close();
    }
  });
});
