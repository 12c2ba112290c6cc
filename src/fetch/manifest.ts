// Signed per-chunk manifests (design and format: MANIFEST.md). Parsing is strict: a manifest decides
// which bytes may reach the decompressor, so anything not exactly in the format is refused.
import type { KeyObject } from "node:crypto";
import { nodeCrypto, sha256 } from "./sha256";
import type { Readable } from "node:stream";
import { FetchError, type SourceFailure } from "./errors";

export interface Manifest {
  name: string;
  size: number;
  chunkSize: number;
  /** Whole-file digest, lowercase hex. */
  sha256: string;
  /** One lowercase hex digest per chunk. */
  chunks: string[];
  /** Key id of the signature that verified. */
  keyId: string;
}

export const DEFAULT_CHUNK_SIZE = 4 * 1024 * 1024;
export const MIN_CHUNK_SIZE = 64 * 1024;
export const MAX_CHUNK_SIZE = 64 * 1024 * 1024;
/** Enough for a 64 GiB layer at 4 MiB chunks; anything bigger is not a manifest. */
export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

const HEADER = "tarboot-manifest 1";

export class ManifestError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ManifestError";
  }
}

/** First 16 hex digits of the sha256 of the key's DER SubjectPublicKeyInfo. */
export function manifestKeyId(publicKey: KeyObject): string {
  return sha256().update(publicKey.export({ format: "der", type: "spki" })).digest("hex").slice(0, 16);
}

/** Reads `data` and returns the unsigned manifest text for it. */
export async function createManifest(name: string, data: Readable, chunkSize = DEFAULT_CHUNK_SIZE): Promise<string> {
  checkChunkSize(chunkSize);
  checkName(name);
  const whole = sha256();
  const chunks: string[] = [];
  let current = sha256();
  let inChunk = 0;
  let size = 0;
  for await (const buf of data as AsyncIterable<Buffer>) {
    whole.update(buf);
    size += buf.length;
    let off = 0;
    while (off < buf.length) {
      const take = Math.min(chunkSize - inChunk, buf.length - off);
      current.update(buf.subarray(off, off + take));
      inChunk += take;
      off += take;
      if (inChunk === chunkSize) {
        chunks.push(current.digest("hex"));
        current = sha256();
        inChunk = 0;
      }
    }
  }
  if (inChunk > 0) chunks.push(current.digest("hex"));
  return [HEADER, `name ${name}`, `size ${size}`, `chunk-size ${chunkSize}`, `sha256 ${whole.digest("hex")}`, ...chunks, ""].join("\n");
}

/** Appends an Ed25519 signature line over everything before the first signature. */
export function signManifest(text: string, privateKey: KeyObject): string {
  const firstSig = text.indexOf("\nsig ");
  const signed = firstSig === -1 ? text : text.slice(0, firstSig + 1);
  if (!signed.endsWith("\n")) throw new ManifestError("manifest text must end with a newline");
  const publicKey = nodeCrypto().createPublicKey(privateKey);
  const signature = nodeCrypto().sign(null, Buffer.from(signed, "utf8"), privateKey).toString("base64");
  return `${text}sig ed25519 ${manifestKeyId(publicKey)} ${signature}\n`;
}

export function checkChunkSize(n: number): void {
  if (!Number.isInteger(n) || n < MIN_CHUNK_SIZE || n > MAX_CHUNK_SIZE || (n & (n - 1)) !== 0) {
    throw new ManifestError(`chunk-size must be a power of two from ${MIN_CHUNK_SIZE} to ${MAX_CHUNK_SIZE}, got ${n}`);
  }
}

function checkName(name: string): void {
  if (!name || /[\s/]/.test(name)) throw new ManifestError(`name must be a file name without spaces or '/', got "${name}"`);
}

const HEX64 = /^[0-9a-f]{64}$/;

/**
 * Parses and verifies a manifest. `keys` are the trusted Ed25519 public keys; `name`, when given, is the
 * file name the manifest must be for.
 */
export function parseManifest(text: string, keys: KeyObject[], expect: { name?: string } = {}): Manifest {
  if (!text.endsWith("\n")) throw new ManifestError("truncated (no final newline)");
  const lines = text.slice(0, -1).split("\n");
  let i = 0;
  const field = (key: string): string => {
    const line = lines[i++];
    if (line === undefined || !line.startsWith(`${key} `)) throw new ManifestError(`line ${i}: expected "${key} ..."`);
    return line.slice(key.length + 1);
  };
  if (lines[i++] !== HEADER) throw new ManifestError(`not a tarboot manifest (first line must be "${HEADER}")`);
  const name = field("name");
  checkName(name);
  const sizeText = field("size");
  const chunkText = field("chunk-size");
  if (!/^\d{1,16}$/.test(sizeText) || !/^\d{1,9}$/.test(chunkText)) throw new ManifestError("size and chunk-size must be decimal integers");
  const size = Number(sizeText);
  const chunkSize = Number(chunkText);
  if (!Number.isSafeInteger(size)) throw new ManifestError("size too large");
  checkChunkSize(chunkSize);
  const sha256 = field("sha256");
  if (!HEX64.test(sha256)) throw new ManifestError("sha256 must be 64 lowercase hex digits");
  const count = Math.ceil(size / chunkSize);
  const chunks = lines.slice(i, i + count);
  if (chunks.length !== count) throw new ManifestError(`expected ${count} chunk digests, found ${chunks.length}`);
  chunks.forEach((c, k) => {
    if (!HEX64.test(c)) throw new ManifestError(`line ${i + k + 1}: expected the sha256 of chunk ${k}`);
  });
  i += count;
  const signedLength = lines.slice(0, i).reduce((n, l) => n + l.length + 1, 0);
  const signed = Buffer.from(text.slice(0, signedLength), "utf8");
  const sigs = lines.slice(i);
  if (sigs.length === 0) throw new ManifestError("not signed");
  const byId = new Map(keys.map((k) => [manifestKeyId(k), k]));
  const ids: string[] = [];
  let keyId: string | undefined;
  for (const [k, line] of sigs.entries()) {
    const m = /^sig ed25519 ([0-9a-f]{16}) ([A-Za-z0-9+/]{86}==)$/.exec(line);
    if (!m) throw new ManifestError(`line ${i + k + 1}: expected "sig ed25519 KEYID BASE64"`);
    ids.push(m[1]);
    const key = byId.get(m[1]);
    if (key && keyId === undefined && nodeCrypto().verify(null, signed, key, Buffer.from(m[2], "base64"))) keyId = m[1];
  }
  if (keyId === undefined) {
    const known = ids.some((id) => byId.has(id));
    throw new ManifestError(
      known ? `signature does not verify (key ${ids.join(", ")}): the manifest was altered` : `signed by unknown key ${ids.join(", ")}, not one the initramfs trusts`,
    );
  }
  if (expect.name !== undefined && expect.name !== name) {
    throw new ManifestError(`manifest is for "${name}", not "${expect.name}"`);
  }
  return { name, size, chunkSize, sha256, chunks, keyId };
}

/** `http://srv/base.tar.zst?x=1` -> `http://srv/base.tar.zst.manifest?x=1`. */
export function manifestUrl(layerUrl: string): string {
  const u = new URL(layerUrl);
  u.hash = "";
  u.pathname = `${u.pathname}.manifest`;
  return u.href;
}

/** The layer's file name as a manifest names it: the URL's last path segment, decoded. */
export function layerFileName(layerUrl: string): string {
  const path = new URL(layerUrl).pathname;
  return decodeURIComponent(path.slice(path.lastIndexOf("/") + 1));
}

async function collect(body: Readable, limit: number, label: string): Promise<string> {
  const parts: Buffer[] = [];
  let n = 0;
  for await (const buf of body as AsyncIterable<Buffer>) {
    n += buf.length;
    if (n > limit) throw new ManifestError(`${label}: larger than ${limit} bytes, not a manifest`);
    parts.push(buf);
  }
  return Buffer.concat(parts).toString("utf8");
}

/**
 * Fetches and verifies the manifest of a layer from `URL.manifest` of each source in turn: a missing or
 * bad manifest on one mirror moves on to the next. `fetch` downloads one small file (fetchLayer, passed in
 * so that this module stays free of the download machinery; index.ts exports the wired `loadManifest`).
 */
export async function loadManifestWith(
  layerUrls: string[],
  label: string,
  keys: KeyObject[],
  fetch: (urls: string[], label: string, consume: (body: Readable) => Promise<string>) => Promise<{ result: string; url: string }>,
): Promise<Manifest> {
  if (keys.length === 0) throw new FetchError(label, [], `${label}: no trusted keys to verify a manifest with`);
  const failures: SourceFailure[] = [];
  for (const layerUrl of layerUrls) {
    const url = manifestUrl(layerUrl);
    try {
      const got = await fetch([url], `${label} manifest`, (body) => collect(body, MAX_MANIFEST_BYTES, url));
      return parseManifest(got.result, keys, { name: layerFileName(layerUrl) });
    } catch (err) {
      if (err instanceof FetchError && err.sources.length > 0) failures.push(...err.sources);
      else failures.push({ url, cause: err instanceof Error ? err.message : String(err), attempts: 1, permanent: true });
    }
  }
  throw new FetchError(label, failures, `${label}: no valid manifest: ${failures.map((f) => `${f.url}: ${f.cause}`).join("; ")}`);
}
