// The kernel both contenders boot: the cached Debian kernel as an ELF vmlinux (PVH entry, ~4 s
// faster per TCG boot than the bzImage), extracted once into build/cache/bench/.
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { extractVmlinux } from "../../qemu-tests/lib/vmlinux";
import { type DebianKernel, ensureDebianKernel } from "../../src/initramfs/debian-kernel";
import { KERNEL_CACHE } from "../build";
import { BENCH_CACHE } from "./inputs";

export interface BenchKernel extends DebianKernel {
  vmlinux: string;
}

export async function benchKernel(): Promise<BenchKernel> {
  const k = await ensureDebianKernel(KERNEL_CACHE);
  mkdirSync(BENCH_CACHE, { recursive: true });
  const out = join(BENCH_CACHE, `vmlinux-${k.version}`);
  if (!existsSync(out)) await extractVmlinux(k.vmlinuz, out);
  return { ...k, vmlinux: out };
}
