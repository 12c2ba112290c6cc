// A test image that trusts a manifest key: /etc/tarboot/keys/KEYID.pub added to it.
import type { KeyObject } from "node:crypto";
import { manifestKeyId } from "../../src/fetch/manifest";
import { TRUSTED_KEYS_DIR } from "../../src/fetch/trusted-keys";
import { withFiles } from "./extra-files";

export function withTrustedKey(initramfs: string, publicKey: KeyObject, out: string): Promise<string> {
  const pem = Buffer.from(publicKey.export({ format: "pem", type: "spki" }));
  return withFiles(initramfs, [{ path: `${TRUSTED_KEYS_DIR}/${manifestKeyId(publicKey)}.pub`, data: pem }], out);
}
