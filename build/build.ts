// `npm run build`: build/out/init (the SEA executable) and build/out/initramfs.img for the demo
// kernel (a Debian kernel fetched with apt-get download into build/cache/kernel/). For another
// kernel: `npx tarboot mkinitramfs --kernel-modules /lib/modules/VERSION`.
import { existsSync } from "node:fs";
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
  /** Reuse build/out/init instead of rebuilding it. */
  reuseInit?: boolean;
}

export async function buildAll(opts: BuildOptions = {}): Promise<BuildResult> {
  const kernel = await ensureDebianKernel(KERNEL_CACHE);
  const existing = join(OUT, "init");
  const init = opts.reuseInit && existsSync(existing) ? existing : await buildInitExecutable();
  const busybox = opts.busybox === undefined ? "/bin/busybox" : opts.busybox;
  const r = await buildInitramfs({
    init,
    output: opts.output ?? join(OUT, "initramfs.img"),
    kernelModules: kernel.modulesDir,
    busybox: busybox || undefined,
    needs: Object.values(NATIVE_ASSETS),
    compress: "zstd",
  });
  return { kernel, init, initramfs: r.path };
}

if (typeof require !== "undefined" && require.main === module) {
  buildAll().then(
    (r) => process.stdout.write(`init: ${r.init}\ninitramfs: ${r.initramfs}\nkernel: ${r.kernel.vmlinuz} (${r.kernel.version})\n`),
    (err: unknown) => {
      process.stderr.write(`build failed: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    },
  );
}
