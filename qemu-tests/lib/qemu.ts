// Boots a kernel + initramfs in QEMU with the serial console captured, and waits for a line.
// User-mode networking: the host's 127.0.0.1 is 10.0.2.2 from the guest, its DNS is 10.0.2.3.
import { spawn } from "node:child_process";
import { existsSync, readdirSync, writeFileSync } from "node:fs";

export interface BootOptions {
  /** Direct kernel boot; leave out all three for a PXE boot (`extraArgs: ["-boot", "n"]`). */
  kernel?: string;
  initrd?: string;
  append?: string;
  /** Resolve when complete console lines match; the VM is then killed unless `waitForExit`. */
  until: RegExp;
  timeoutMs: number;
  memoryMiB?: number;
  smp?: number;
  /** QEMU's DHCP server hands these out. */
  hostname?: string;
  domain?: string;
  /** Extra `-netdev user` options, e.g. tftp=...,bootfile=... */
  netdevExtra?: string;
  /** Instead of QEMU's user network: a tap interface in a network namespace, QEMU run inside it. */
  tap?: { netns: string; ifname: string };
  /** Instead of both: the guest's NIC and network given whole (e.g. a VlanRelay's qemuArgs). */
  network?: string[];
  extraArgs?: string[];
  /** Keep going after `until` matched, until QEMU exits (poweroff) or the timeout. */
  waitForExit?: boolean;
  /** Typed on the serial console once complete console lines match `after`, each at most once, in order. */
  input?: { after: RegExp; send: string }[];
  /** Where the console goes as it arrives (the demo streams it to the terminal). */
  onOutput?: (chunk: string) => void;
  logFile?: string;
}

export interface BootResult {
  console: string;
  matched: RegExpMatchArray | null;
  exitCode: number | null;
  timedOut: boolean;
  seconds: number;
}

/** KVM only when it is a real one: the kvm_pvm module here cannot boot a stock kernel. */
export function accelerator(): string {
  if (process.env.TARBOOT_QEMU_ACCEL) return process.env.TARBOOT_QEMU_ACCEL;
  const mods = existsSync("/sys/module") ? readdirSync("/sys/module") : [];
  if (existsSync("/dev/kvm") && (mods.includes("kvm_intel") || mods.includes("kvm_amd"))) return "kvm";
  return "tcg,thread=multi";
}

/**
 * Under TCG the default CPU (qemu64) has no RDRAND, so the kernel's random pool is only ready
 * after seconds of jitter collection, and Node blocks in getrandom() at start-up (it seeds
 * OpenSSL before running any JavaScript) until then: ~1.5 s of every boot. Real x86 servers
 * have RDRAND, which the Debian kernel trusts; the emulated CPU gets it too.
 */
export function cpuArgs(accel: string): string[] {
  return accel.startsWith("tcg") ? ["-cpu", "qemu64,+rdrand"] : [];
}

export function qemuArgs(o: BootOptions): string[] {
  const accel = accelerator();
  const netdev = o.tap ? ["tap", "id=n0", `ifname=${o.tap.ifname}`, "script=no", "downscript=no"] : ["user", "id=n0"];
  if (o.hostname) netdev.push(`hostname=${o.hostname}`);
  if (o.domain) netdev.push(`domainname=${o.domain}`);
  if (o.netdevExtra) netdev.push(o.netdevExtra);
  return [
    "-accel", accel,
    ...cpuArgs(accel),
    "-m", String(o.memoryMiB ?? 1024),
    "-smp", String(o.smp ?? 2),
    "-nodefaults", "-no-user-config",
    "-display", "none",
    "-serial", "stdio",
    "-no-reboot",
    ...(o.network ?? ["-netdev", netdev.join(","), "-device", "virtio-net-pci,netdev=n0"]),
    ...(o.kernel ? ["-kernel", o.kernel] : []),
    ...(o.initrd ? ["-initrd", o.initrd] : []),
    ...(o.append !== undefined ? ["-append", o.append] : []),
    ...(o.extraArgs ?? []),
  ];
}

export function bootQemu(o: BootOptions): Promise<BootResult> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const [cmd, args] = o.tap ? ["ip", ["netns", "exec", o.tap.netns, "qemu-system-x86_64", ...qemuArgs(o)]] : ["qemu-system-x86_64", qemuArgs(o)];
    const child = spawn(cmd, args as string[], { stdio: [o.input?.length ? "pipe" : "ignore", "pipe", "pipe"] });
    const pending = [...(o.input ?? [])];
    let text = "";
    let matched: RegExpMatchArray | null = null;
    let timedOut = false;
    let stderr = "";
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, o.timeoutMs);
    child.stdout!.setEncoding("utf8");
    child.stdout!.on("data", (chunk: string) => {
      text += chunk;
      o.onOutput?.(chunk);
      // Only whole lines: a console line can arrive split across chunks.
      const lines = text.slice(0, text.lastIndexOf("\n") + 1);
      while (pending.length > 0 && pending[0].after.test(lines)) child.stdin?.write(pending.shift()!.send);
      if (!matched) {
        matched = lines.match(o.until);
        if (matched && !o.waitForExit) child.kill("SIGKILL");
      }
    });
    child.stderr!.setEncoding("utf8");
    child.stderr!.on("data", (c: string) => (stderr += c));
    child.on("error", (e) => {
      clearTimeout(timer);
      reject(new Error(`cannot start qemu-system-x86_64: ${e.message}`));
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      const console = text + (stderr ? `\n[qemu stderr]\n${stderr}` : "");
      if (o.logFile) writeFileSync(o.logFile, console);
      resolve({ console, matched, exitCode: code, timedOut, seconds: (Date.now() - started) / 1000 });
    });
  });
}
