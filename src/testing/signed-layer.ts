// A small signed layer for the manifest tests: base.tar (etc/motd first, then ~300 KiB of filler,
// so it spans several 64 KiB chunks), its signed manifest, the key pair, and HTTP servers that serve
// the layer (or a tampered copy) with the manifest beside it.
import { execFileSync } from "node:child_process";
import { type KeyObject, generateKeyPairSync } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Readable } from "node:stream";
import { createManifest, signManifest } from "../fetch/manifest";
import { type Behaviour, type FaultServer, startFaultServer } from "../fetch/testing/fault-server";

export const CHUNK = 64 * 1024;

export interface SignedLayer {
  layer: Buffer;
  manifest: Buffer;
  keys: { publicKey: KeyObject; privateKey: KeyObject };
  /** The public key as a PEM file, for --key or a keys directory. */
  publicKeyFile: string;
  /** Serves `data` (default the layer) at /base.tar and `manifest` (default the signed one) beside it. */
  serve(data?: Buffer, manifest?: Pick<Behaviour, "data" | "status">): Promise<FaultServer>;
  close(): Promise<void>;
}

export async function makeSignedLayer(dir: string): Promise<SignedLayer> {
  const src = join(dir, "src");
  mkdirSync(join(src, "etc"), { recursive: true });
  writeFileSync(join(src, "etc/motd"), "hello\n");
  writeFileSync(join(src, "zz-filler"), Buffer.alloc(300 * 1024, 7));
  execFileSync("tar", ["-C", src, "-cf", join(dir, "base.tar"), "etc", "zz-filler"]);
  const layer = readFileSync(join(dir, "base.tar"));
  const keys = generateKeyPairSync("ed25519");
  const manifest = Buffer.from(signManifest(await createManifest("base.tar", Readable.from([layer]), CHUNK), keys.privateKey));
  const keysDir = join(dir, "keys");
  mkdirSync(keysDir);
  const publicKeyFile = join(keysDir, "site.pub");
  writeFileSync(publicKeyFile, keys.publicKey.export({ format: "pem", type: "spki" }));
  const servers: FaultServer[] = [];
  return {
    layer,
    manifest,
    keys,
    publicKeyFile,
    async serve(data = layer, answer = { data: manifest }) {
      const s = await startFaultServer(data, (_n, req) => (req.url?.endsWith(".manifest") ? { ...answer, etag: '"m"' } : {}));
      servers.push(s);
      return s;
    },
    close: () => Promise.all(servers.map((s) => s.close())).then(() => undefined),
  };
}
