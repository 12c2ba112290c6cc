// The mount stage's layer policy against a real HTTP server: with trusted keys in the initramfs every
// layer needs a valid signed manifest, and no byte of a layer that fails it reaches the extractor.
import { generateKeyPairSync } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createManifest, manifestKeyId, signManifest } from "../fetch/manifest";
import type { FaultServer } from "../fetch/testing/fault-server";
import { parseProxyUrl } from "../fetch/proxy";
import { type TestProxy, startProxy } from "../fetch/testing/proxy-server";
import { bootConfig } from "../testing/root-fixtures";
import { CHUNK, type SignedLayer, makeSignedLayer } from "../testing/signed-layer";
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
