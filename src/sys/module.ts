// Kernel module loading. glibc has no wrappers for these calls, so they go through syscall(2).
// glibc's syscall() is assembly that reads its arguments from registers without va_arg, so fixed
// prototypes per call are exact on the ABIs tarboot ships for (x86-64, arm64).
import { check, libc } from "./libc";

const NR: Record<string, { init: number; finit: number }> = {
  x64: { init: 175, finit: 313 },
  arm64: { init: 105, finit: 273 },
  riscv64: { init: 105, finit: 273 },
};

const finit_ = libc.func("long syscall(long nr, int fd, const char *params, int flags)");
const init_ = libc.func("long syscall(long nr, void *image, unsigned long len, const char *params)");

/** finit_module flag: the file is xz/zstd/gzip compressed and the kernel decompresses it. */
export const MODULE_INIT_COMPRESSED_FILE = 4;

function numbers(): { init: number; finit: number } {
  const nr = NR[process.arch];
  if (!nr) throw new Error(`module loading: no syscall numbers for architecture ${process.arch}`);
  return nr;
}

/**
 * Loads the module in the open file `fd`. Synchronous on purpose: errno does not survive koffi's
 * thread-pool calls, and "already loaded" (EEXIST) must be told apart from real failures.
 */
export function finitModule(fd: number, name: string, flags = 0, params = ""): void {
  check(Number(finit_(numbers().finit, fd, params, flags)), "finit_module", name);
}

/** Loads a module image already in memory (decompressed by tarboot when the kernel cannot). */
export function initModule(image: Buffer, name: string, params = ""): void {
  check(Number(init_(numbers().init, image, image.length, params)), "init_module", name);
}
