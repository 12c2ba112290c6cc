// Section 4: an initramfs image's compressed size and the size of the archive inside it (what the
// kernel unpacks into RAM and what stays there until switch_root deletes it).
import { spawn } from "node:child_process";
import { openSync, readSync, closeSync, statSync } from "node:fs";

export interface ImageSize {
  path: string;
  compressedBytes: number;
  unpackedBytes: number;
  compression: string;
}

function sniff(path: string): { name: string; cmd: string[] } {
  const head = Buffer.alloc(6);
  const fd = openSync(path, "r");
  try {
    readSync(fd, head, 0, 6, 0);
  } finally {
    closeSync(fd);
  }
  if (head.readUInt32LE(0) === 0xfd2fb528) return { name: "zstd", cmd: ["zstd", "-dcq"] };
  if (head[0] === 0x1f && head[1] === 0x8b) return { name: "gzip", cmd: ["gzip", "-dc"] };
  if (head.equals(Buffer.from("fd377a585a00", "hex"))) return { name: "xz", cmd: ["xz", "-dc"] };
  if (head.toString("latin1").startsWith("070701")) return { name: "none", cmd: ["cat"] };
  throw new Error(`${path}: not a zstd, gzip, xz or newc cpio image (starts ${head.toString("hex")})`);
}

/** Decompresses the image with its own tool and counts the bytes (bounded: 5 minutes). */
export async function imageSize(path: string): Promise<ImageSize> {
  const { name, cmd } = sniff(path);
  const unpackedBytes = await new Promise<number>((resolve, reject) => {
    const child = spawn(cmd[0], [...cmd.slice(1), path], { stdio: ["ignore", "pipe", "pipe"] });
    let n = 0;
    let err = "";
    const timer = setTimeout(() => child.kill("SIGKILL"), 300_000);
    child.stdout.on("data", (c: Buffer) => (n += c.length));
    child.stderr.on("data", (c: Buffer) => (err += c.toString()));
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(n);
      else reject(new Error(`${cmd.join(" ")} ${path}: exit ${code}: ${err.trim()}`));
    });
  });
  return { path, compressedBytes: statSync(path).size, unpackedBytes, compression: name };
}
