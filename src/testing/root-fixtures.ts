// Shared inputs for the src/root tests: a boot configuration as the parser leaves it by default,
// a full DHCP lease, and throwaway directories under /tmp.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { defaultBootConfig } from "../cmdline";
import type { BootConfig } from "../cmdline/types";
import type { Lease } from "../net/lease";

export function bootConfig(over: Partial<BootConfig> = {}): BootConfig {
  return { ...defaultBootConfig(), ...over };
}

export function dhcpLease(over: Partial<Lease> = {}): Lease {
  return {
    source: "dhcp",
    iface: "eth0",
    mac: "52:54:00:12:34:56",
    address: "10.0.2.15",
    prefix: 24,
    netmask: "255.255.255.0",
    broadcast: "10.0.2.255",
    gateway: "10.0.2.2",
    dns: ["10.0.2.3", "10.0.2.4"],
    domain: "cluster.example",
    search: ["cluster.example", "lab.example"],
    hostname: "node07",
    ntp: ["10.0.2.5"],
    mtu: 1500,
    serverId: "10.0.2.2",
    leaseTime: 86400,
    renewalTime: 43200,
    rebindTime: 75600,
    boundAt: Date.now(),
    ...over,
  };
}

/** A fresh directory under /tmp; call the returned cleanup in afterEach/afterAll. */
export function tempDir(prefix: string): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), `tarboot-${prefix}-`));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
