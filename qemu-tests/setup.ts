// Global setup of the boot tests: the init, two initramfs variants and the kernel, built once.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { buildAll } from "../build/build";
import { ensureTools, DEMO_TOOLS } from "../build/prereqs";
import { ARTIFACTS_JSON, type Artifacts, QEMU_OUT } from "./lib/artifacts";
import { extractVmlinux } from "./lib/vmlinux";

export default async function setup(): Promise<void> {
  ensureTools(DEMO_TOOLS);
  mkdirSync(QEMU_OUT, { recursive: true });
  const withShell = await buildAll({ output: join(QEMU_OUT, "initramfs.img") });
  const noShell = await buildAll({ output: join(QEMU_OUT, "initramfs-noshell.img"), busybox: false });
  const vmlinux = await extractVmlinux(withShell.kernel.vmlinuz, join(QEMU_OUT, `vmlinux-${withShell.kernel.version}`));
  const art: Artifacts = {
    bzImage: withShell.kernel.vmlinuz,
    vmlinux,
    kernelVersion: withShell.kernel.version,
    initramfs: withShell.initramfs,
    initramfsNoShell: noShell.initramfs,
    workDir: QEMU_OUT,
  };
  writeFileSync(ARTIFACTS_JSON, JSON.stringify(art, null, 2));
}
