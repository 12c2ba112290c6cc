// The kernel both contenders boot: the cached Debian kernel as an ELF vmlinux (PVH entry, ~4 s
// faster per TCG boot than the bzImage), extracted once into build/cache/bench/.
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { extractVmlinux, locatePayload } from "../../qemu-tests/lib/vmlinux";
import { type DebianKernel, ensureDebianKernel } from "../../src/initramfs/debian-kernel";
import { ROOT } from "../paths.mjs";
import { BENCH_CACHE } from "./inputs";

/** Where build/build.ts keeps the kernel (its KERNEL_CACHE). */
export const KERNEL_CACHE = join(ROOT, "build/cache/kernel");

export interface BenchKernel extends DebianKernel {
  vmlinux: string;
}

/**
 * extractVmlinux, or for an xz payload that it rejects (the payload ends with the kernel's 4-byte
 * size, which lzma-native reports as LZMA_BUF_ERROR before 'end'), xz --single-stream, which
 * ignores what follows the stream.
 */
async function vmlinuxOf(bzImage: string, out: string): Promise<string> {
  try {
    return await extractVmlinux(bzImage, out);
  } catch (err) {
    const bz = readFileSync(bzImage);
    const { offset, length } = locatePayload(bz);
    const payload = bz.subarray(offset, offset + length);
    if (!payload.subarray(0, 6).equals(Buffer.from("fd377a585a00", "hex"))) throw err;
    const r = spawnSync("xz", ["-dc", "--single-stream"], { input: payload, maxBuffer: 1 << 30 });
    if (r.status !== 0 || r.stdout.readUInt32BE(0) !== 0x7f454c46) {
      throw new Error(`${bzImage}: cannot decompress the kernel payload (extractVmlinux: ${(err as Error).message}; xz: ${r.stderr})`);
    }
    const fd = openSync(`${out}.tmp`, "w");
    writeSync(fd, r.stdout);
    closeSync(fd);
    renameSync(`${out}.tmp`, out);
    return out;
  }
}

export async function benchKernel(): Promise<BenchKernel> {
  const k = await ensureDebianKernel(KERNEL_CACHE);
  mkdirSync(BENCH_CACHE, { recursive: true });
  const out = join(BENCH_CACHE, `vmlinux-${k.version}`);
  if (!existsSync(out)) await vmlinuxOf(k.vmlinuz, out);
  return { ...k, vmlinux: out };
}
