// A real dnsmasq (Debian's dnsmasq-base) serving DHCP inside a test namespace.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ChildProcess } from "node:child_process";
import { spawnInNetns, stopProcess } from "./netns";

export interface Dnsmasq {
  child: ChildProcess;
  /** Everything dnsmasq logged so far (its DHCP log goes to stderr). */
  log(): string;
  /** Resolves when the log contains `text`; rejects after `timeoutMs`. */
  waitForLog(text: string | RegExp, timeoutMs: number): Promise<void>;
  stop(): Promise<void>;
}

export interface DnsmasqOptions {
  ns: string;
  iface: string;
  /** e.g. "10.77.0.100,10.77.0.149,255.255.255.0,2m" */
  range: string;
  /** `--dhcp-option=` values, e.g. "option:router,10.77.0.1". */
  options?: string[];
  /** `--dhcp-host=` values. */
  hosts?: string[];
  authoritative?: boolean;
  /** Serve DNS on this port too (queries logged); 0, no DNS, by default. */
  dnsPort?: number;
  extraArgs?: string[];
}

export async function startDnsmasq(o: DnsmasqOptions): Promise<Dnsmasq> {
  const dir = mkdtempSync(join(tmpdir(), "tarboot-dnsmasq-"));
  const args = [
    "--no-daemon",
    "--conf-file=/dev/null",
    `--port=${o.dnsPort ?? 0}`,
    ...(o.dnsPort ? ["--log-queries"] : []),
    `--interface=${o.iface}`,
    "--bind-interfaces",
    `--dhcp-range=${o.range}`,
    `--dhcp-leasefile=${join(dir, "leases")}`,
    `--pid-file=${join(dir, "pid")}`,
    "--user=root",
    "--log-dhcp",
    "--log-facility=-",
    ...(o.authoritative ? ["--dhcp-authoritative"] : []),
    ...(o.options ?? []).map((x) => `--dhcp-option=${x}`),
    ...(o.hosts ?? []).map((x) => `--dhcp-host=${x}`),
    ...(o.extraArgs ?? []),
  ];
  const child = spawnInNetns(o.ns, "dnsmasq", args);
  let text = "";
  const waiters: { re: string | RegExp; resolve: () => void }[] = [];
  const onData = (d: Buffer) => {
    text += d.toString();
    for (const w of [...waiters]) {
      if (typeof w.re === "string" ? text.includes(w.re) : w.re.test(text)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
    }
  };
  child.stdout?.on("data", onData);
  child.stderr?.on("data", onData);
  const d: Dnsmasq = {
    child,
    log: () => text,
    waitForLog(re, timeoutMs) {
      return new Promise((resolve, reject) => {
        if (typeof re === "string" ? text.includes(re) : re.test(text)) return resolve();
        const timer = setTimeout(() => reject(new Error(`dnsmasq did not log ${re} within ${timeoutMs}ms; log:\n${text}`)), timeoutMs);
        waiters.push({
          re,
          resolve: () => {
            clearTimeout(timer);
            resolve();
          },
        });
        child.once("exit", (code) => {
          clearTimeout(timer);
          reject(new Error(`dnsmasq exited (${code}) before logging ${re}; log:\n${text}`));
        });
      });
    },
    async stop() {
      await stopProcess(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  await d.waitForLog(/DHCP(v6)?, IP range|router advertisement on/, 5000);
  return d;
}
