// `tarboot manifest sign`: what it writes is what the init accepts, with the right key only.
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it, vi } from "vitest";
import { manifestKeyId, parseManifest } from "../fetch/manifest";
import { manifestCommand, parseChunkSize } from "./manifest";

const tmp = mkdtempSync(join(tmpdir(), "tarboot-manifest-cli-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function keyFiles(name: string) {
  const k = generateKeyPairSync("ed25519");
  const priv = join(tmp, `${name}.pem`);
  writeFileSync(priv, k.privateKey.export({ format: "pem", type: "pkcs8" }));
  return { ...k, priv };
}

/** Runs the command, returning its exit code and what it printed. */
async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const o = vi.spyOn(process.stdout, "write").mockImplementation((s) => ((out += String(s)), true));
  const e = vi.spyOn(process.stderr, "write").mockImplementation((s) => ((err += String(s)), true));
  try {
    return { code: await manifestCommand(argv), out, err };
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
}

describe("tarboot manifest sign", () => {
  it("writes FILE.manifest that verifies with the public key, one signature per --key", async () => {
    const old = keyFiles("old");
    const cur = keyFiles("new");
    const layer = join(tmp, "base.tar.zst");
    const data = randomBytes(200 * 1024 + 5);
    writeFileSync(layer, data);
    const r = await run(["sign", "--key", old.priv, "--key", cur.priv, "--chunk-size", "64k", layer]);
    expect(r.code).toBe(0);
    expect(r.out).toBe(`wrote ${layer}.manifest: 200 KiB in 4 chunk(s) of 64.0 KiB, signed by ${manifestKeyId(old.publicKey)}, ${manifestKeyId(cur.publicKey)}\n`);
    const text = readFileSync(`${layer}.manifest`, "utf8");
    for (const pub of [old.publicKey, cur.publicKey]) {
      const m = parseManifest(text, [pub], { name: "base.tar.zst" });
      expect(m).toMatchObject({ size: data.length, chunkSize: 65536, keyId: manifestKeyId(pub) });
      expect(m.chunks).toHaveLength(4);
    }
    expect(() => parseManifest(text, [generateKeyPairSync("ed25519").publicKey])).toThrow(/signed by unknown key/);
  });

  it("refuses what it cannot sign with, before writing anything", async () => {
    const layer = join(tmp, "x.tar");
    writeFileSync(layer, "x");
    const rsa = join(tmp, "rsa.pem");
    writeFileSync(rsa, generateKeyPairSync("rsa", { modulusLength: 1024 }).privateKey.export({ format: "pem", type: "pkcs8" }));
    expect((await run(["sign", layer])).err).toMatch(/^tarboot manifest: --key PRIVATE\.pem is required/);
    expect((await run(["sign", "--key", rsa, layer])).err).toMatch(`--key ${rsa}: a rsa key; manifests are signed with Ed25519 keys`);
    expect((await run(["sign", "--key", join(tmp, "nope.pem"), layer])).err).toMatch(/--key .*nope\.pem: no such file/);
    const pub = join(tmp, "k.pub");
    writeFileSync(pub, generateKeyPairSync("ed25519").publicKey.export({ format: "pem", type: "spki" }));
    expect((await run(["sign", "--key", pub, layer])).err).toMatch(`--key ${pub}: a public key: sign with its private half`);
    const k = keyFiles("k");
    const bad = await run(["sign", "--key", k.priv, "--chunk-size", "3000", layer]);
    expect([bad.code, bad.err]).toEqual([2, expect.stringMatching(/^tarboot manifest: --chunk-size 3000: chunk-size must be a power of two from 65536 to 67108864, got 3000/)]);
    const missing = await run(["sign", "--key", k.priv, join(tmp, "missing.tar")]);
    expect([missing.code, missing.err]).toEqual([1, expect.stringMatching(/missing\.tar: .*no such file or directory/)]);
    expect(existsSync(`${layer}.manifest`)).toBe(false);
    expect((await run(["verify"])).code).toBe(2);
    expect(() => parseChunkSize("4g")).toThrow(/--chunk-size 4g: expected bytes with an optional k or m suffix/);
    expect(parseChunkSize("4m")).toBe(4 << 20);
  });
});
