// The mount stage's layer policy against a real HTTP server: with trusted keys in the initramfs every
// layer needs a valid signed manifest, and no byte of a layer that fails it reaches the extractor.
import { execFileSync } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createManifest, manifestKeyId, signManifest } from "../fetch/manifest";
import { type FaultServer, startFaultServer } from "../fetch/testing/fault-server";
import { bootConfig } from "../testing/root-fixtures";
import { unpackLayers } from "./layers";

const tmp = mkdtempSync(join(tmpdir(), "tarboot-layers-"));
const keys = generateKeyPairSync("ed25519");
const keysDir = join(tmp, "keys");
const servers: FaultServer[] = [];
let layer: Buffer;
let manifest: Buffer;

beforeAll(async () => {
  const src = join(tmp, "src");
  mkdirSync(join(src, "etc"), { recursive: true });
  writeFileSync(join(src, "etc/motd"), "hello\n");
  // Big enough for several 64 KiB chunks, the first of which holds etc/motd.
  writeFileSync(join(src, "zz-filler"), Buffer.alloc(300 * 1024, 7));
  execFileSync("tar", ["-C", src, "-cf", join(tmp, "base.tar"), "etc", "zz-filler"]);
  layer = readFileSync(join(tmp, "base.tar"));
  manifest = Buffer.from(signManifest(await createManifest("base.tar", Readable.from([layer]), 64 * 1024), keys.privateKey));
  mkdirSync(keysDir);
  writeFileSync(join(keysDir, "site.pub"), keys.publicKey.export({ format: "pem", type: "spki" }));
});
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
  rmSync(tmp, { recursive: true, force: true });
});

async function server(data: Buffer, manifestAnswer: { data: Buffer } | { status: number }): Promise<FaultServer> {
  const s = await startFaultServer(data, (_n, req) => (req.url?.endsWith(".manifest") ? { ...manifestAnswer, etag: '"m"' } : {}));
  servers.push(s);
  return s;
}

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
    const s = await server(layer, { data: manifest });
    const root = freshRoot("signed");
    const r = await unpackLayers(layersOf(s), null, root, keysDir);
    expect(r).toMatchObject([{ index: 1, url: s.url("/base.tar"), bytes: layer.length, entries: 3, manifestKey: manifestKeyId(keys.publicKey) }]);
    expect(readFileSync(join(root, "etc/motd"), "utf8")).toBe("hello\n");
    expect(s.seen.map((x) => x.path)).toEqual(["/base.tar.manifest", "/base.tar"]);
  });

  it("without trusted keys no manifest is asked for", async () => {
    const s = await server(layer, { status: 404 });
    const root = freshRoot("unsigned");
    const r = await unpackLayers(layersOf(s), null, root, join(tmp, "no-keys"));
    expect(r[0].manifestKey).toBeUndefined();
    expect(s.seen.map((x) => x.path)).toEqual(["/base.tar"]);
    expect(readFileSync(join(root, "etc/motd"), "utf8")).toBe("hello\n");
  });

  it("with a trusted key, a layer without a manifest is refused before it is downloaded", async () => {
    const s = await server(layer, { status: 404 });
    const root = freshRoot("missing");
    await expect(unpackLayers(layersOf(s), null, root, keysDir)).rejects.toThrow(
      `layer 1/1: no valid manifest: ${s.url("/base.tar")}.manifest: HTTP 404 Not Found`,
    );
    expect(s.seen.map((x) => x.path)).toEqual(["/base.tar.manifest"]);
    expect(readdirSync(root)).toEqual([]);
  });

  it("a manifest signed by another key is refused, naming the key", async () => {
    const stranger = generateKeyPairSync("ed25519");
    const forged = Buffer.from(signManifest(await createManifest("base.tar", Readable.from([layer]), 64 * 1024), stranger.privateKey));
    const s = await server(layer, { data: forged });
    await expect(unpackLayers(layersOf(s), null, freshRoot("forged"), keysDir)).rejects.toThrow(
      `signed by unknown key ${manifestKeyId(stranger.publicKey)}, not one the initramfs trusts`,
    );
  });

  it("a tampered layer: the chunk fails its digest and nothing of it is unpacked", async () => {
    const tampered = Buffer.from(layer);
    tampered[600] ^= 0xff; // inside etc/motd's header, in the first chunk
    const s = await server(tampered, { data: manifest });
    const root = freshRoot("tampered");
    await expect(unpackLayers(layersOf(s), null, root, keysDir)).rejects.toThrow(/does not match the manifest/);
    expect(readdirSync(root)).toEqual([]);
  });
});
