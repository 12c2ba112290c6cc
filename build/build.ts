// `npm run build`: build/out/init (the SEA executable) and build/out/initramfs.img for the demo
// kernel (a Debian kernel fetched with apt-get download into build/cache/kernel/). For another
// kernel: `npx tarboot mkinitramfs --kernel-modules /lib/modules/VERSION`.
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { ensureDebianKernel, type DebianKernel } from "../src/initramfs/debian-kernel";
import { buildInitramfs } from "../src/initramfs/build";
import { NATIVE_ASSETS } from "./bundle.mjs";
import { ROOT } from "./paths.mjs";
import { OUT, buildInitExecutable } from "./sea.mjs";

export const KERNEL_CACHE = join(ROOT, "build/cache/kernel");

export interface BuildResult {
  kernel: DebianKernel;
  init: string;
  initramfs: string;
}

export interface BuildOptions {
  output?: string;
  /** Static busybox for the rescue shell; false for none. */
  busybox?: string | false;
  /** Compression level; default the shipping one (zstd 19). Boot tests use a fast one: same contents. */
  level?: number;
  /** Reuse build/out/init instead of rebuilding it; default: reuse when it is newer than every source. */
  reuseInit?: boolean;
}

function mtimeOf(path: string): number {
  return existsSync(path) ? statSync(path).mtimeMs : 0;
}

/** The newest mtime below `dir` (files only), for "is the output older than its inputs". */
export function newestMtime(dir: string): number {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) newest = Math.max(newest, mtimeOf(join(e.parentPath, e.name)));
  }
  return newest;
}

function initIsFresh(init: string): boolean {
  const built = mtimeOf(init);
  const inputs = Math.max(newestMtime(join(ROOT, "src")), mtimeOf(join(ROOT, "package-lock.json")), mtimeOf(join(ROOT, "build/bundle.mjs")), mtimeOf(join(ROOT, "build/sea.mjs")));
  return built > inputs;
}

export async function buildAll(opts: BuildOptions = {}): Promise<BuildResult> {
  const kernel = await ensureDebianKernel(KERNEL_CACHE);
  const existing = join(OUT, "init");
  const reuse = opts.reuseInit ?? initIsFresh(existing);
  const init = reuse && existsSync(existing) ? existing : await buildInitExecutable();
  const output = opts.output ?? join(OUT, "initramfs.img");
  const busybox = opts.busybox === undefined ? "/bin/busybox" : opts.busybox;
  // The image depends on the init and the build recipe; the kernel's modules and busybox are fixed.
  if (mtimeOf(output) > Math.max(mtimeOf(init), newestMtime(join(ROOT, "src/initramfs")), mtimeOf(join(ROOT, "build/build.ts")))) {
    return { kernel, init, initramfs: output };
  }
  const r = await buildInitramfs({
    init,
    output,
    kernelModules: kernel.modulesDir,
    // QEMU's virtio NIC needs none, and the test and bench image must not depend on the
    // firmware packages this machine happens to have.
    firmware: false,
    busybox: busybox || undefined,
    needs: Object.values(NATIVE_ASSETS),
    compress: "zstd",
    level: opts.level,
  });
  return { kernel, init, initramfs: r.path };
}
