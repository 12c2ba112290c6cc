// The kernel both contenders boot: the cached Debian kernel as an ELF vmlinux (PVH entry, ~4 s
// faster per TCG boot than the bzImage), extracted once beside the kernel.
import { ensureVmlinux } from "../../qemu-tests/lib/vmlinux";
import { type DebianKernel, ensureDebianKernel } from "../../src/initramfs/debian-kernel";
import { KERNEL_CACHE } from "../build";

export interface BenchKernel extends DebianKernel {
  vmlinux: string;
}

export async function benchKernel(): Promise<BenchKernel> {
  const k = await ensureDebianKernel(KERNEL_CACHE);
  return { ...k, vmlinux: await ensureVmlinux(k) };
}
