// What the boot tests boot: built once per test run by qemu-tests/setup.ts, read by every test file.
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "../../build/paths.mjs";

export interface Artifacts {
  /** The Debian kernel's bzImage (PXE needs this one). */
  bzImage: string;
  /** The same kernel as an ELF for PVH boots, ~4 s faster a boot under TCG. */
  vmlinux: string;
  kernelVersion: string;
  /** tarboot's initramfs with the kernel's NIC drivers and busybox for the rescue shell. */
  initramfs: string;
  /** The same without busybox: failures wait panic= seconds and reboot. */
  initramfsNoShell: string;
  /** The init executable both images carry (also `tarboot extract` on a host). */
  init: string;
  workDir: string;
}

export const QEMU_OUT = join(ROOT, "build/out/qemu");
export const ARTIFACTS_JSON = join(QEMU_OUT, "artifacts.json");
/** Console logs of the last run of each boot, kept for reading after a failure (or a timing). */
export const LOGS = join(QEMU_OUT, "logs");

export function consoleLog(name: string): string {
  mkdirSync(LOGS, { recursive: true });
  return join(LOGS, `${name}.log`);
}

export function loadArtifacts(): Artifacts {
  return JSON.parse(readFileSync(ARTIFACTS_JSON, "utf8")) as Artifacts;
}

/** The kernel command line every test boot starts from: serial console, fast failure. */
export function baseAppend(extra: string): string {
  return `console=ttyS0 panic=-1 ${extra}`;
}
