// tarboot.syslog=HOST[:PORT]: every console line also goes to a syslog server, so that a cluster
// whose serial consoles nobody watches still learns why a node did not boot. Lines from before the
// network was up are sent first. Sends are synchronous sendto(2) calls on a socket tied to the
// lease's interface: a line logged just before an exec, a reboot or the rescue shell has left.
import type { HostPort } from "../cmdline/types";
import { DeviceUdpSocket } from "../sys/socket";
import { addLogSink } from "./log";
import { formatSyslog } from "./syslog-message";

/** Starts sending; `hostname` is asked at each line (the lease may name the node later). */
export function startSyslog(server: HostPort, iface: string, hostname: () => string | undefined): void {
  const sock = DeviceUdpSocket.open(iface, 0, null);
  addLogSink((level, message, timeMs) => {
    sock.send(formatSyslog({ level, message, timeMs, hostname: hostname(), pid: process.pid }), server.host, server.port);
  });
}
