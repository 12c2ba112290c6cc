// A test image that trusts a manifest key, made as the kernel allows: a second (uncompressed) cpio
// archive with /etc/tarboot/keys/KEYID.pub appended to the first, at a 4-byte boundary, so no
// image is built again. `mkinitramfs --key` puts the same file in the one archive.
import type { KeyObject } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { manifestKeyId } from "../../src/fetch/manifest";
import { TRUSTED_KEYS_DIR } from "../../src/fetch/trusted-keys";
import { writeCpio } from "../../src/initramfs/cpio";

export async function withTrustedKey(initramfs: string, publicKey: KeyObject, out: string): Promise<string> {
  const image = readFileSync(initramfs);
  const parts: Buffer[] = [image, Buffer.alloc((4 - (image.length % 4)) % 4)];
  const pem = Buffer.from(publicKey.export({ format: "pem", type: "spki" }));
  for await (const b of writeCpio([{ type: "file", path: `${TRUSTED_KEYS_DIR}/${manifestKeyId(publicKey)}.pub`, mode: 0o644, data: pem }], { mtime: 0 })) parts.push(b);
  writeFileSync(out, Buffer.concat(parts));
  return out;
}
