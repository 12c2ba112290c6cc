// What the boot does with the lease before any download: sets the clock from NTP (https:// layers
// check certificates against it), starts the remote syslog (the lines so far go out with their
// times corrected by then), and for root=dhcp takes the layers from the lease.
import type { BootConfig } from "../cmdline/types";
import { info, warn } from "../console/log";
import { startSyslog } from "../console/syslog";
import type { NetworkSession } from "../net";
import { ntpServers } from "../net/ntp/servers";
import type { Timeline } from "../root/timeline";
import { setRealtime } from "../sys/clock";
import { layersFromLease } from "./dhcp-root";

/** Per NTP server: a LAN answers in milliseconds; a dead server must not hold the boot long. */
const NTP_WAIT_MS = 1000;
/** Smaller offsets are the root's time daemon's business (it slews instead of stepping). */
const NTP_STEP_MS = 500;

export async function useLease(cfg: BootConfig, session: NetworkSession, timeline: Timeline): Promise<void> {
  const servers = ntpServers(cfg.ntp, session.lease);
  if (servers.length > 0) {
    // The client, and node:dgram with it, only when there is a server to ask.
    const { setClockFromNtp } = await import("../net/ntp/set-clock");
    timeline.addFacts({ clock: await setClockFromNtp(servers, { timeoutMs: NTP_WAIT_MS, stepMs: NTP_STEP_MS, set: setRealtime }) });
  }
  if (cfg.syslog) {
    const { host, port } = cfg.syslog;
    const iface = session.lease?.iface;
    if (iface) {
      startSyslog(cfg.syslog, iface, () => session.hostname ?? session.lease?.address);
      info(`console lines also go to syslog at ${host}:${port}`);
    } else warn(`tarboot.syslog=${host}:${port}: no network (ip=off), nothing is sent`);
  }
  if (cfg.rootFromDhcp) {
    cfg.layers = layersFromLease(session.lease, cfg.mirrors);
    info(`root path from DHCP: ${cfg.layers.length} layer(s): ${cfg.layers.map((l) => l.raw).join(", ")}`);
  }
}
