// Signed per-chunk manifests: the format is strict, signatures and names bind it, and in a download no
// byte of a corrupted chunk reaches the consumer while good mirrors fill in.
import { createHash, generateKeyPairSync, randomBytes } from "node:crypto";
import { Readable } from "node:stream";
import { afterAll, describe, expect, it } from "vitest";
import { ChunkMismatchError, ChunkVerifier } from "./chunk-verifier";
import { fetchLayer, loadManifest, type FetchOptions } from "./index";
import { createManifest, manifestKeyId, manifestUrl, parseManifest, signManifest, type Manifest } from "./manifest";
import { startFaultServer, type FaultServer } from "./testing/fault-server";

const KiB = 1024;
const MiB = 1024 * KiB;
const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");
const keys = generateKeyPairSync("ed25519");
const other = generateKeyPairSync("ed25519");

/** A stream delivering `data` in uneven pieces, as a network would. */
function pieces(data: Buffer): Readable {
  const parts: Buffer[] = [];
  for (let off = 0, k = 0; off < data.length; k++) {
    const n = [1, 7000, 65536, 333333][k % 4];
    parts.push(data.subarray(off, off + n));
    off += n;
  }
  return Readable.from(parts);
}

async function signed(name: string, data: Buffer, chunk = 64 * KiB, key = keys.privateKey): Promise<string> {
  return signManifest(await createManifest(name, pieces(data), chunk), key);
}

describe("manifest format", () => {
  it("round-trips: one digest per chunk, the last chunk short", async () => {
    const data = randomBytes(200 * KiB);
    const m = parseManifest(await signed("base.tar.zst", data), [keys.publicKey], { name: "base.tar.zst" });
    expect(m).toMatchObject({ name: "base.tar.zst", size: data.length, chunkSize: 64 * KiB, sha256: sha(data), keyId: manifestKeyId(keys.publicKey) });
    expect(m.chunks).toEqual([0, 1, 2, 3].map((k) => sha(data.subarray(k * 64 * KiB, (k + 1) * 64 * KiB))));
  });

  it("handles empty files and exact multiples", async () => {
    expect(parseManifest(await signed("e.tar", Buffer.alloc(0)), [keys.publicKey]).chunks).toEqual([]);
    expect(parseManifest(await signed("e.tar", randomBytes(128 * KiB)), [keys.publicKey]).chunks).toHaveLength(2);
  });

  it("refuses a manifest altered after signing", async () => {
    const text = await signed("base.tar.zst", randomBytes(100 * KiB));
    const lines = text.split("\n");
    lines[5] = "0".repeat(64);
    expect(() => parseManifest(lines.join("\n"), [keys.publicKey])).toThrow(/signature does not verify .*the manifest was altered/);
  });

  it("refuses an unknown key and accepts any trusted one of several signatures (key rotation)", async () => {
    const text = await signed("base.tar.zst", randomBytes(70 * KiB), 64 * KiB, other.privateKey);
    expect(() => parseManifest(text, [keys.publicKey])).toThrow(`signed by unknown key ${manifestKeyId(other.publicKey)}, not one the initramfs trusts`);
    const both = signManifest(text, keys.privateKey);
    expect(parseManifest(both, [keys.publicKey]).keyId).toBe(manifestKeyId(keys.publicKey));
    expect(parseManifest(both, [other.publicKey]).keyId).toBe(manifestKeyId(other.publicKey));
  });

  it("binds the manifest to the layer's file name", async () => {
    const text = await signed("debug.tar.zst", randomBytes(10));
    expect(() => parseManifest(text, [keys.publicKey], { name: "base.tar.zst" })).toThrow('manifest is for "debug.tar.zst", not "base.tar.zst"');
  });

  it("is strict about the format", async () => {
    const text = await signed("b.tar", randomBytes(10));
    expect(() => parseManifest(text.replace("tarboot-manifest 1", "tarboot-manifest 2"), [keys.publicKey])).toThrow("not a tarboot manifest");
    expect(() => parseManifest(text.slice(0, -1), [keys.publicKey])).toThrow("truncated");
    expect(() => parseManifest(text.replace(/\nsig .*\n$/, "\n"), [keys.publicKey])).toThrow("not signed");
    expect(() => parseManifest(text.replace("chunk-size 65536", "chunk-size 65537"), [keys.publicKey])).toThrow("power of two");
    expect(() => parseManifest(text + "\n", [keys.publicKey])).toThrow('expected "sig ed25519 KEYID BASE64"');
    expect(manifestUrl("http://srv/a/base.tar.zst?v=2#sha256=x")).toBe("http://srv/a/base.tar.zst.manifest?v=2");
  });
});

describe("ChunkVerifier", () => {
  it("releases only whole verified chunks, and drops a bad one", async () => {
    const data = randomBytes(300 * KiB);
    const m = parseManifest(await signed("x", data), [keys.publicKey]);
    const bad = Buffer.from(data);
    bad[2 * 64 * KiB + 5] ^= 1;
    const v = new ChunkVerifier(m);
    const out: Buffer[] = [];
    let error: Error | undefined;
    for (let off = 0; off < bad.length && !error; off += 10_000) {
      const r = v.push(bad.subarray(off, off + 10_000));
      out.push(...r.released);
      error = r.error;
    }
    expect(error).toBeInstanceOf(ChunkMismatchError);
    expect(error!.message).toBe("chunk 2 (128 KiB..192 KiB) does not match the manifest");
    expect(Buffer.concat(out).equals(data.subarray(0, 128 * KiB))).toBe(true);
    expect(v.position).toBe(128 * KiB);
    // Good bytes from another source continue from the chunk boundary.
    const r = v.push(data.subarray(128 * KiB));
    expect(r.error).toBeUndefined();
    expect(Buffer.concat([...out, ...r.released]).equals(data)).toBe(true);
    expect(v.complete).toBe(true);
  });
});

describe("fetchLayer with a manifest", () => {
  const data = randomBytes(6 * MiB);
  let manifest: Manifest;
  const servers: FaultServer[] = [];
  const base: FetchOptions = { label: "layer 1/1", retries: 2, timeoutMs: 3_000, progress: false, backoff: { baseMs: 10, maxMs: 50 } };
  afterAll(() => Promise.all(servers.map((s) => s.close())));

  async function reader(body: Readable): Promise<string> {
    const h = createHash("sha256");
    for await (const c of body) h.update(c);
    return h.digest("hex");
  }

  it("a mirror with a corrupted chunk: its good chunks are used, the rest comes from the next mirror", async () => {
    manifest = parseManifest(await signed("layer.tar", data, MiB), [keys.publicKey], { name: "layer.tar" });
    const corrupt = Buffer.from(data);
    corrupt[3 * MiB + 100] ^= 0xff;
    const a = await startFaultServer(corrupt);
    const b = await startFaultServer(data);
    servers.push(a, b);
    const calls: string[] = [];
    const done = await fetchLayer([a.url(), b.url()], { ...base, manifest }, async (body, info) => {
      calls.push(info.url);
      return reader(body);
    });
    expect(done.result).toBe(sha(data));
    expect(done).toMatchObject({ url: b.url(), restarts: 0, bytes: data.length, sha256: sha(data) });
    expect(calls).toEqual([a.url()]);
    // A: the full answer, then a retry of chunk 3 that fails again; B: from chunk 3 on, without If-Range.
    expect(a.seen.map((s) => s.range)).toEqual([undefined, `bytes=${3 * MiB}-`]);
    expect(b.seen.map((s) => [s.range, s.ifRange])).toEqual([[`bytes=${3 * MiB}-`, undefined]]);
  });

  it("a server that ignores Range: the bytes already held are skipped, the consumer is not restarted", async () => {
    const srv = await startFaultServer(data, (n) => (n === 0 ? { cutAfter: 2 * MiB + 500 * KiB } : { ignoreRange: true }));
    servers.push(srv);
    let calls = 0;
    const done = await fetchLayer([srv.url()], { ...base, manifest }, async (body) => {
      calls++;
      return reader(body);
    });
    expect(done.result).toBe(sha(data));
    expect(done.restarts).toBe(0);
    expect(calls).toBe(1);
    expect(srv.seen[1].status).toBe(200);
  });

  it("a file of another size than the manifest's is refused for that source", async () => {
    const srv = await startFaultServer(data.subarray(0, 5 * MiB));
    servers.push(srv);
    const err = await fetchLayer([srv.url()], { ...base, manifest }, reader).catch((e) => e);
    expect(err.message).toBe(`layer 1/1: all sources failed: ${srv.url()}: file is ${5 * MiB} bytes, the manifest says ${6 * MiB}`);
  });

  it("loadManifest takes the first valid manifest among the sources", async () => {
    const good = Buffer.from(await signed("layer.tar", data, MiB));
    const forged = Buffer.from(await signed("layer.tar", randomBytes(100), MiB, other.privateKey));
    const serveManifest = (m: Buffer) => (_n: number, req: { url?: string }) => (req.url?.endsWith(".manifest") ? { data: m, etag: '"m"' } : {});
    const a = await startFaultServer(data, serveManifest(forged));
    const b = await startFaultServer(data, (_n, req) => (req.url?.endsWith(".manifest") ? { status: 404 } : {}));
    const c = await startFaultServer(data, serveManifest(good));
    servers.push(a, b, c);
    const m = await loadManifest([a.url(), b.url(), c.url()], base, [keys.publicKey]);
    expect(m.sha256).toBe(sha(data));
    const err = await loadManifest([a.url(), b.url()], base, [keys.publicKey]).catch((e) => e);
    expect(err.message).toBe(
      `layer 1/1: no valid manifest: ${a.url()}.manifest: signed by unknown key ${manifestKeyId(other.publicKey)}, not one the initramfs trusts; ` +
        `${b.url()}.manifest: HTTP 404 Not Found`,
    );
  });
});
