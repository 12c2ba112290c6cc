// The Ed25519 public keys layer manifests must be signed with (MANIFEST.md, "Trust"): PEM files baked
// into the initramfs by `tarboot mkinitramfs --key`, never taken from the command line or DHCP, which
// arrive over the same network as the manifests they would vouch for.
import type { KeyObject } from "node:crypto";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { manifestKeyId } from "./manifest";
import { nodeCrypto } from "./sha256";

/** Where the init looks for trusted keys; with none there, layers need no manifest. */
export const TRUSTED_KEYS_DIR = "/etc/tarboot/keys";

export interface TrustedKey {
  key: KeyObject;
  /** manifestKeyId(): what a manifest's `sig ed25519 KEYID` names. */
  id: string;
  /** The file it came from, for messages. */
  file: string;
}

/** A key file's bytes; `what` names it in the error (`--key site.pub: no such file`). */
export function readKeyFile(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new Error(`${what}: ${(err as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (err as Error).message}`, { cause: err });
  }
}

/** Parses one PEM public key; anything but an Ed25519 SubjectPublicKeyInfo is refused, naming `file`. */
export function parseTrustedKey(pem: Buffer | string, file: string): TrustedKey {
  let key: KeyObject;
  try {
    key = nodeCrypto().createPublicKey({ key: pem, format: "pem" });
  } catch (err) {
    throw new Error(`${file}: not a PEM public key (${(err as Error).message})`, { cause: err });
  }
  if (key.asymmetricKeyType !== "ed25519") {
    throw new Error(`${file}: a ${key.asymmetricKeyType ?? "unknown"} key; manifests are signed with Ed25519 keys only`);
  }
  return { key, id: manifestKeyId(key), file };
}

/** A key given on a host command line as `--key FILE`. */
export function keyOption(path: string): TrustedKey {
  return parseTrustedKey(readKeyFile(path, `--key ${path}`), `--key ${path}`);
}

/**
 * Every `*.pub` in `dir`, sorted by name; [] when the directory does not exist. A key file that
 * cannot be used fails the boot rather than being skipped: the operator meant it to be trusted.
 */
export function readTrustedKeys(dir = TRUSTED_KEYS_DIR): TrustedKey[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw new Error(`${dir}: cannot list the trusted keys: ${(err as Error).message}`, { cause: err });
  }
  return names
    .filter((n) => n.endsWith(".pub"))
    .sort()
    .map((n) => {
      const file = join(dir, n);
      return parseTrustedKey(readFileSync(file), file);
    });
}
