// Files added to a test image as the kernel allows: a second (uncompressed) cpio archive appended
// to the first at a 4-byte boundary, so no image is built again. `mkinitramfs --key` and `--ca`
// put the same files in the one archive.
import { readFileSync, writeFileSync } from "node:fs";
import { writeCpio } from "../../src/initramfs/cpio";

export async function withFiles(initramfs: string, files: { path: string; data: Buffer }[], out: string): Promise<string> {
  const image = readFileSync(initramfs);
  const parts: Buffer[] = [image, Buffer.alloc((4 - (image.length % 4)) % 4)];
  for await (const b of writeCpio(files.map((f) => ({ type: "file" as const, path: f.path, mode: 0o644, data: f.data })), { mtime: 0 })) parts.push(b);
  writeFileSync(out, Buffer.concat(parts));
  return out;
}
