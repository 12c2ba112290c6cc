// `tarboot extract --key`: an operator checks a published layer and its signed manifest on a host
// exactly as the init will, against a real HTTP server.
import { execFileSync } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createManifest, manifestKeyId, signManifest } from "../fetch/manifest";
import { type FaultServer, startFaultServer } from "../fetch/testing/fault-server";
import { extractCli } from "./extract";

const tmp = mkdtempSync(join(tmpdir(), "tarboot-extract-cli-"));
const key = generateKeyPairSync("ed25519");
const pub = join(tmp, "site.pub");
const servers: FaultServer[] = [];
let layer: Buffer;
let manifest: Buffer;

beforeAll(async () => {
  const src = join(tmp, "src");
  mkdirSync(join(src, "etc"), { recursive: true });
  writeFileSync(join(src, "etc/motd"), "hello\n");
  execFileSync("tar", ["-C", src, "-cf", join(tmp, "base.tar"), "etc"]);
  layer = readFileSync(join(tmp, "base.tar"));
  manifest = Buffer.from(signManifest(await createManifest("base.tar", Readable.from([layer]), 64 * 1024), key.privateKey));
  writeFileSync(pub, key.publicKey.export({ format: "pem", type: "spki" }));
});
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
  rmSync(tmp, { recursive: true, force: true });
});

async function serve(data: Buffer): Promise<string> {
  const s = await startFaultServer(data, (_n, req) => (req.url?.endsWith(".manifest") ? { data: manifest, etag: '"m"' } : {}));
  servers.push(s);
  return s.url("/base.tar");
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
    const url = await serve(layer);
    const dir = join(tmp, "ok");
    mkdirSync(dir);
    const r = await run(["--key", pub, url, dir]);
    expect(r.code, r.err).toBe(0);
    expect(r.err).toContain(`tarboot: ${url}: every chunk matched the manifest signed by ${manifestKeyId(key.publicKey)}`);
    expect(readFileSync(join(dir, "etc/motd"), "utf8")).toBe("hello\n");
  });

  it("refuses a tampered layer before unpacking any of it", async () => {
    const bad = Buffer.from(layer);
    bad[100] ^= 1;
    const url = await serve(bad);
    const dir = join(tmp, "bad");
    mkdirSync(dir);
    const r = await run(["--quiet", "--retries", "1", "--key", pub, url, dir]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/chunk 0 .*does not match the manifest/);
    expect(readdirSync(dir)).toEqual([]);
  });

  it("is for URLs only, and names a key file it cannot use", async () => {
    const dir = join(tmp, "file");
    mkdirSync(dir);
    expect((await run(["--key", pub, join(tmp, "base.tar"), dir])).err).toContain("--key is checked for URLs only");
    expect((await run(["--key", join(tmp, "none.pub"), await serve(layer), dir])).err).toContain(`--key ${join(tmp, "none.pub")}: no such file`);
  });
});
