// Global setup of the boot tests: the init, two initramfs variants and the kernel, built once.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { buildAll } from "../build/build";
import { ensureTools, DEMO_TOOLS } from "../build/prereqs";
import { ARTIFACTS_JSON, type Artifacts, QEMU_OUT } from "./lib/artifacts";
import { ensureVmlinux } from "./lib/vmlinux";

export default async function setup(): Promise<void> {
  ensureTools(DEMO_TOOLS);
  mkdirSync(QEMU_OUT, { recursive: true });
  // zstd -3 instead of -19: the same files, minutes less on 2 cores; compression has its own tests.
  const withShell = await buildAll({ output: join(QEMU_OUT, "initramfs.img"), level: 3 });
  const noShell = await buildAll({ output: join(QEMU_OUT, "initramfs-noshell.img"), busybox: false, level: 3 });
  const vmlinux = await ensureVmlinux(withShell.kernel);
  const art: Artifacts = {
    bzImage: withShell.kernel.vmlinuz,
    vmlinux,
    kernelVersion: withShell.kernel.version,
    initramfs: withShell.initramfs,
    initramfsNoShell: noShell.initramfs,
    init: withShell.init,
    workDir: QEMU_OUT,
  };
  writeFileSync(ARTIFACTS_JSON, JSON.stringify(art, null, 2));
}
