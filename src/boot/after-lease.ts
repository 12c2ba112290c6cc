// What the boot does with the lease before any download: sets the clock from NTP (https:// layers
// check certificates against it), starts the remote syslog (the lines so far go out with their
// times corrected by then; servers given by name are looked up through the lease's DNS), for
// root=dhcp takes the layers from the lease, and when a layer is on an IPv6 address waits for the
// kernel's SLAAC address.
import type { BootConfig, SyslogServer } from "../cmdline/types";
import { formatSyslogServer } from "../cmdline/values";
import { info, warn } from "../console/log";
import { type SyslogTls, TCP_RETRY_MS, startSyslog } from "../console/syslog";
import { pemCertificates, trustStore } from "../fetch/trust-store";
import type { NetworkSession } from "../net";
import { ntpServers } from "../net/ntp/servers";
import { urlHasIpv6Host, waitForIpv6 } from "../net/ipv6";
import { ipv6Only, type Lease } from "../net/lease";
import { leaseAddressOf } from "../net/server-address";
import type { Timeline } from "../root/timeline";
import { setRealtime } from "../sys/clock";
import { TlsClientContext } from "../sys/tls";
import { layersFromLease } from "./dhcp-root";

/** Per NTP server: a LAN answers in milliseconds; a dead server must not hold the boot long. */
const NTP_WAIT_MS = 1000;
/** Smaller offsets are the root's time daemon's business (it slews instead of stepping). */
const NTP_STEP_MS = 500;
/** Per DNS try for a syslog server's name: logging must not hold the boot long either. */
const SYSLOG_LOOKUP_MS = 1000;

export async function useLease(cfg: BootConfig, session: NetworkSession, timeline: Timeline): Promise<void> {
  const servers = ntpServers(cfg.ntp, session.lease);
  if (servers.length > 0) {
    // The client, and node:dgram with it, only when there is a server to ask.
    const { setClockFromNtp } = await import("../net/ntp/set-clock");
    const addressOf = leaseAddressOf(session.lease, NTP_WAIT_MS);
    // "ntp", not "clock": that key names the timeline's own clock.
    timeline.addFacts({ ntp: await setClockFromNtp(servers, { timeoutMs: NTP_WAIT_MS, stepMs: NTP_STEP_MS, set: setRealtime, addressOf }) });
  }
  const syslog = syslogServer(cfg.syslog, session.lease);
  if (syslog) await useSyslog(syslog.server, session, syslog.from, cfg.ca);
  if (cfg.rootFromDhcp) {
    cfg.layers = layersFromLease(session.lease, cfg.mirrors);
    info(`root path from DHCP: ${cfg.layers.length} layer(s): ${cfg.layers.map((l) => l.raw).join(", ")}`);
  }
  const iface = session.lease?.iface;
  // On an IPv6-only lease the address is the lease's own, usable already.
  if (iface && !ipv6Only(session.lease!) && cfg.layers.some((l) => l.urls.some(urlHasIpv6Host))) await awaitIpv6(iface, cfg.netWait);
}

/** tarboot.syslog='s server, else the lease's first log server (option 7), plain UDP; with where it came from. */
export function syslogServer(cfg: SyslogServer | "off" | undefined, lease: Lease | null): { server: SyslogServer; from: string } | null {
  if (cfg === "off") return null;
  if (cfg) return { server: cfg, from: "tarboot.syslog" };
  const host = lease?.logServers?.[0];
  return host ? { server: { host, port: 514, transport: "udp" }, from: "the DHCP lease's log server (option 7)" } : null;
}

async function useSyslog(server: SyslogServer, session: NetworkSession, from: string, caFile: string | undefined): Promise<void> {
  const { host } = server;
  const iface = session.lease?.iface;
  if (!iface) {
    warn(`tarboot.syslog=${formatSyslogServer(server)}: no network (ip=off), nothing is sent`);
    return;
  }
  let address: string;
  try {
    address = await leaseAddressOf(session.lease, SYSLOG_LOOKUP_MS)(host);
  } catch (err) {
    warn(`tarboot.syslog=${formatSyslogServer(server)}: ${(err as Error).message}; console lines are not sent`);
    return;
  }
  const where = `${formatSyslogServer(server)}${address === host ? "" : ` (${address})`}`;
  let tls: SyslogTls | undefined;
  if (server.transport === "tls") {
    try {
      tls = { name: host, context: TlsClientContext.create(trustStore(caFile).flatMap(pemCertificates)) };
    } catch (err) {
      warn(`tarboot.syslog=${where}: CA bundle${caFile ? ` (tarboot.ca=) ${caFile}` : ""}: ${(err as Error).message}; console lines are not sent`);
      return;
    }
  }
  const failed = startSyslog({ ...server, host: address }, iface, () => session.hostname ?? session.lease?.address, Date.now, tls);
  if (failed === null) info(`console lines also go to syslog at ${where}${from === "tarboot.syslog" ? "" : `, ${from}`}`);
  else warn(`syslog at ${where}: ${failed}; lines are kept and sent when it answers (asked again every ${TCP_RETRY_MS / 1000}s)`);
}

/** A layer on an IPv6 address: the kernel's SLAAC address first, or the first requests meet "network unreachable". */
async function awaitIpv6(iface: string, netWait: number): Promise<void> {
  const a = await waitForIpv6(iface, netWait * 1000);
  if (a) info(`${a.iface}: ${a.address}/${a.prefix} (IPv6, from the router's advertisement)`);
  else warn(`${iface}: no IPv6 address after ${netWait}s (no router advertisement on this link?): layers on IPv6 addresses cannot be reached`);
}
