// One console line as an RFC 5424 syslog message over UDP (RFC 5426): facility daemon, the
// line's level as severity, the node's name as HOSTNAME, "tarboot" as APP-NAME.
import type { Level } from "./log";

const FACILITY_DAEMON = 3;
const SEVERITY: Record<Level, number> = { error: 3, warn: 4, info: 6, debug: 7 };
/** RFC 5426 asks receivers to take at least 2048 bytes; longer lines are cut there. */
export const MAX_SYSLOG_BYTES = 2048;

export interface SyslogRecord {
  level: Level;
  message: string;
  /** Wall-clock time of the line, ms since 1970. */
  timeMs: number;
  /** The node's host name or address; "-" (nil) when not known yet. */
  hostname?: string;
  pid: number;
}

export function formatSyslog(r: SyslogRecord): Buffer {
  // HOSTNAME is printable ASCII without spaces, at most 255 characters.
  const host = (r.hostname ?? "").replace(/[^\x21-\x7e]/g, "").slice(0, 255) || "-";
  const head = `<${FACILITY_DAEMON * 8 + SEVERITY[r.level]}>1 ${new Date(r.timeMs).toISOString()} ${host} tarboot ${r.pid} - - `;
  const b = Buffer.from(head + r.message.replace(/\n+$/, ""), "utf8");
  return b.length <= MAX_SYSLOG_BYTES ? b : b.subarray(0, MAX_SYSLOG_BYTES);
}
