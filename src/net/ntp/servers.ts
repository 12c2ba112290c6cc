// Which NTP servers set the clock. Apart from the client so that the boot decides without
// loading it (and node:dgram) when there are none.
import type { NtpConfig, NtpServer } from "../../cmdline/types";
import type { Lease } from "../lease";

/** The servers `tarboot.ntp=` names, else the lease's (DHCP option 42, or ip='s ntp0-ip). */
export function ntpServers(cfg: NtpConfig, lease: Lease | null): NtpServer[] {
  if (cfg.mode === "off") return [];
  if (cfg.mode === "servers") return cfg.servers;
  return (lease?.ntp ?? []).map((host) => ({ host, port: 123 }));
}
