// Sets the clock from NTP before anything needs it: a diskless node often starts with a wrong
// clock (no RTC, a dead RTC battery), and https:// layers fail their certificate checks on it.
// The root's own time daemon keeps the clock right afterwards; this only steps it once.
import type { NtpServer } from "../../cmdline/types";
import { debug, info, warn } from "../../console/log";
import { formatDuration } from "../../console/units";
import type { AddressOf } from "../server-address";
import { formatServer, type NtpAnswer, queryServer } from "./query";

export interface SetClockOptions {
  /** Wait for each server. */
  timeoutMs: number;
  /** Offsets smaller than this are left alone. */
  stepMs: number;
  /** Steps the clock (setRealtime; tests pass their own). */
  set: (ms: number) => void;
  /** The address of a server given by name (leaseAddressOf). */
  addressOf: AddressOf;
}

export type ClockResult =
  | { kind: "stepped"; server: string; offsetMs: number; before: string }
  | { kind: "kept"; server: string; offsetMs: number }
  | { kind: "failed"; reasons: string[] };

/** Asks the servers in turn; steps the clock by the first answer's offset when it is large enough. */
export async function setClockFromNtp(servers: NtpServer[], o: SetClockOptions): Promise<ClockResult> {
  const reasons: string[] = [];
  for (const s of servers) {
    const name = formatServer(s);
    let a: NtpAnswer;
    try {
      const host = await o.addressOf(s.host);
      if (host !== s.host) debug(`NTP server ${s.host} is ${host}`);
      a = await queryServer({ host, port: s.port }, o.timeoutMs);
    } catch (err) {
      reasons.push(`${name}: ${(err as Error).message}`);
      continue;
    }
    if (Math.abs(a.offsetMs) < o.stepMs) {
      debug(`clock within ${Math.round(a.offsetMs)} ms of NTP server ${name} (stratum ${a.stratum})`);
      return { kind: "kept", server: name, offsetMs: a.offsetMs };
    }
    const before = new Date().toISOString();
    try {
      o.set(Date.now() + a.offsetMs);
    } catch (err) {
      warn(`cannot set the clock from NTP server ${name} (${formatOffset(a.offsetMs)}): ${(err as Error).message}`);
      return { kind: "failed", reasons: [`${name}: ${(err as Error).message}`] };
    }
    info(`clock set from NTP server ${name}: ${formatOffset(a.offsetMs)} (was ${before}, now ${new Date().toISOString()})`);
    return { kind: "stepped", server: name, offsetMs: a.offsetMs, before };
  }
  warn(`no NTP server answered (${reasons.join("; ")}); the clock stays at ${new Date().toISOString()}`);
  return { kind: "failed", reasons };
}

/** `+0.8s`, `-3h05m`, `+9465.1 days`: a clock years off is common enough to be read in days. */
function formatOffset(ms: number): string {
  const abs = Math.abs(ms);
  return `${ms >= 0 ? "+" : "-"}${abs >= 86_400_000 ? `${(abs / 86_400_000).toFixed(1)} days` : formatDuration(abs)}`;
}
