// `tarboot manifest sign`: the publisher's side of signed per-chunk manifests (src/fetch/MANIFEST.md).
// Writes FILE.manifest next to each layer; nodes whose initramfs trusts the key (mkinitramfs --key)
// then verify every chunk of the layer before unpacking it.
import type { KeyObject } from "node:crypto";
import { createReadStream, renameSync, writeFileSync } from "node:fs";
import { basename } from "node:path";
import { parseArgs } from "node:util";
import { describeError } from "../console/errors";
import { formatBytes } from "../console/units";
import { DEFAULT_CHUNK_SIZE, checkChunkSize, createManifest, manifestKeyId, signManifest } from "../fetch/manifest";
import { nodeCrypto } from "../fetch/sha256";
import { readKeyFile } from "../fetch/trusted-keys";

const USAGE = `usage: tarboot manifest sign --key PRIVATE.pem [--key ...] [--chunk-size N] FILE...

Writes FILE.manifest beside each layer FILE: its size, sha256, a sha256 per chunk, and an Ed25519
signature per --key (two keys while rotating). Publish it next to the layer on every mirror.

options:
  --key FILE        Ed25519 private key (PEM), e.g. from
                    openssl genpkey -algorithm ed25519 -out key.pem
                    (its public half for mkinitramfs --key: openssl pkey -in key.pem -pubout)
  --chunk-size N    bytes per verified chunk, a power of two from 64k to 64m; k/m suffixes
                    (default 4m)
`;

function fail(message: string, code: number): number {
  process.stderr.write(`tarboot manifest: ${message}\n`);
  return code;
}

/** `4m`, `65536`, `64k` -> bytes; the power-of-two rule is the manifest's own check. */
export function parseChunkSize(text: string): number {
  const m = /^(\d+)([kKmM]?)$/.exec(text);
  if (!m) throw new Error(`--chunk-size ${text}: expected bytes with an optional k or m suffix, e.g. 4m`);
  return Number(m[1]) * (m[2] === "" ? 1 : m[2].toLowerCase() === "k" ? 1024 : 1024 * 1024);
}

export function readSigningKey(path: string): KeyObject {
  const pem = readKeyFile(path, `--key ${path}`);
  let key: KeyObject;
  try {
    key = nodeCrypto().createPrivateKey({ key: pem, format: "pem" });
  } catch (err) {
    const hint = pem.includes("PUBLIC KEY-----") ? "a public key: sign with its private half (the public one goes to mkinitramfs --key)" : `not a PEM private key (${(err as Error).message})`;
    throw new Error(`--key ${path}: ${hint}`, { cause: err });
  }
  if (key.asymmetricKeyType !== "ed25519") throw new Error(`--key ${path}: a ${key.asymmetricKeyType ?? "unknown"} key; manifests are signed with Ed25519 keys`);
  return key;
}

export async function manifestCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === "-h" || sub === "--help") {
    process.stdout.write(USAGE);
    return sub === undefined ? 2 : 0;
  }
  if (sub !== "sign") return fail(`unknown subcommand '${sub}'\n${USAGE}`, 2);
  let keys: KeyObject[];
  let chunkSize = DEFAULT_CHUNK_SIZE;
  let files: string[];
  try {
    const { values, positionals } = parseArgs({
      args: rest,
      allowPositionals: true,
      options: { key: { type: "string", multiple: true, default: [] }, "chunk-size": { type: "string" } },
    });
    if (values.key.length === 0) throw new Error("--key PRIVATE.pem is required");
    if (positionals.length === 0) throw new Error("no layer FILE to sign");
    if (values["chunk-size"] !== undefined) {
      chunkSize = parseChunkSize(values["chunk-size"]);
      try {
        checkChunkSize(chunkSize);
      } catch (err) {
        throw new Error(`--chunk-size ${values["chunk-size"]}: ${(err as Error).message}`);
      }
    }
    keys = values.key.map(readSigningKey);
    files = positionals;
  } catch (err) {
    return fail(`${describeError(err)}\n${USAGE}`, 2);
  }
  for (const file of files) {
    const input = createReadStream(file);
    try {
      let text = await createManifest(basename(file), input, chunkSize);
      for (const k of keys) text = signManifest(text, k);
      const out = `${file}.manifest`;
      writeFileSync(`${out}.tmp`, text);
      renameSync(`${out}.tmp`, out);
      const size = Number(/^size (\d+)$/m.exec(text)?.[1]);
      const ids = keys.map((k) => manifestKeyId(nodeCrypto().createPublicKey(k))).join(", ");
      process.stdout.write(`wrote ${out}: ${formatBytes(size)} in ${Math.ceil(size / chunkSize)} chunk(s) of ${formatBytes(chunkSize)}, signed by ${ids}\n`);
    } catch (err) {
      input.destroy();
      return fail(`${file}: ${describeError(err)}`, 1);
    }
  }
  return 0;
}
