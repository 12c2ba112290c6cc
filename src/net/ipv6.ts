// IPv6 comes mostly from the kernel itself: once a link is up it sends a router solicitation and,
// from the router's advertisement, configures routes and (SLAAC) an address. tarboot waits for
// that address when a layer is to be fetched from an IPv6 address, since the first request would
// otherwise meet "network unreachable" while SLAAC and its duplicate address detection run. With
// ip=dhcp6 the address is DHCPv6's (src/net/dhcp6), and what it waits for is read here too: the
// link-local address to send from, duplicate address detection's verdict, the default route.
import { readFileSync, writeFileSync } from "node:fs";
import { warn } from "../console/log";

export interface Ipv6Address {
  address: string;
  prefix: number;
  iface: string;
}

const SCOPE_GLOBAL = 0x00;
// Site-local (fec0::/10) is deprecated, but QEMU's user network still hands it out.
const SCOPE_SITE = 0x40;
const IFA_F_OPTIMISTIC = 0x04;
const IFA_F_DADFAILED = 0x08;
const IFA_F_TENTATIVE = 0x40;

interface Inet6Line extends Ipv6Address {
  scope: number;
  flags: number;
}

/** The lines of /proc/net/if_inet6: address (hex), ifindex, prefix, scope, flags, interface. */
function inet6Lines(ifInet6: string): Inet6Line[] {
  const out: Inet6Line[] = [];
  for (const line of ifInet6.split("\n")) {
    const f = line.trim().split(/\s+/);
    if (f.length < 6 || !/^[0-9a-f]{32}$/i.test(f[0])) continue;
    out.push({ address: compress(f[0].toLowerCase()), prefix: parseInt(f[2], 16), scope: parseInt(f[3], 16), flags: parseInt(f[4], 16), iface: f[5] });
  }
  return out;
}

/** Routable (global or site-local) addresses that are usable now (duplicate address detection done and passed), from /proc/net/if_inet6. */
export function usableGlobalAddresses(ifInet6: string): Ipv6Address[] {
  return inet6Lines(ifInet6)
    .filter((l) => (l.scope === SCOPE_GLOBAL || l.scope === SCOPE_SITE) && !(l.flags & (IFA_F_TENTATIVE | IFA_F_DADFAILED)))
    .map(({ address, prefix, iface }) => ({ address, prefix, iface }));
}

/** 16 bytes as an address is written. */
export function ipv6Text(bytes: Buffer): string {
  return compress(bytes.toString("hex"));
}

const SCOPE_LINK = 0x20;

export type AddressState = "usable" | "tentative" | "dadfailed" | "missing";

/** The state of `address` on `iface` in /proc/net/if_inet6 (duplicate address detection's verdict). */
export function addressState(ifInet6: string, iface: string, address: string): AddressState {
  const l = inet6Lines(ifInet6).find((x) => x.iface === iface && x.address === address);
  if (!l) return "missing";
  return l.flags & IFA_F_DADFAILED ? "dadfailed" : l.flags & IFA_F_TENTATIVE ? "tentative" : "usable";
}

/**
 * The interface's link-local address once it may send: duplicate address detection passed, or
 * still running on an optimistic address (RFC 4429); else null.
 */
export function usableLinkLocal(ifInet6: string, iface: string): string | null {
  const sends = (flags: number) => !(flags & IFA_F_DADFAILED) && (!(flags & IFA_F_TENTATIVE) || (flags & IFA_F_OPTIMISTIC) !== 0);
  return inet6Lines(ifInet6).find((l) => l.iface === iface && l.scope === SCOPE_LINK && sends(l.flags))?.address ?? null;
}

/**
 * Lets the link-local address the DHCPv6 client sends from be used while duplicate address
 * detection runs (optimistic DAD, RFC 4429), which saves up to a second before the first SOLICIT.
 * Set before the link comes up; returns what puts the setting back, for the booted system.
 */
export function optimisticDad(iface: string): () => void {
  const knob = `/proc/sys/net/ipv6/conf/${iface}/optimistic_dad`;
  let before: string;
  try {
    before = readFileSync(knob, "latin1").trim();
    writeFileSync(knob, "1");
  } catch {
    return () => undefined; // a kernel without CONFIG_IPV6_OPTIMISTIC_DAD: the usual wait
  }
  return () => {
    try {
      writeFileSync(knob, before);
    } catch {
      // The interface is gone; nothing to put back.
    }
  };
}

/** Whether /proc/net/ipv6_route has a default route through `iface` (from a router advertisement). */
export function hasDefaultRoute6(ipv6Route: string, iface: string): boolean {
  return ipv6Route.split("\n").some((line) => {
    const f = line.trim().split(/\s+/);
    return f.length >= 10 && f[9] === iface && /^0{32}$/.test(f[0]) && f[1] === "00" && !/^0{32}$/.test(f[4]);
  });
}

/** 32 hex digits as an address is written (RFC 5952, as the WHATWG URL parser serializes hosts). */
function compress(hex: string): string {
  const groups = Array.from({ length: 8 }, (_, i) => hex.slice(i * 4, i * 4 + 4));
  return new URL(`http://[${groups.join(":")}]/`).hostname.slice(1, -1);
}

/** Whether a layer URL names its server by an IPv6 address (http://[2001:db8::1]/...). */
export function urlHasIpv6Host(url: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\/(?:[^@/]*@)?\[/i.test(url);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const readIfInet6 = () => readFileSync("/proc/net/if_inet6", "latin1");
const readIpv6Route = () => readFileSync("/proc/net/ipv6_route", "latin1");

/** Polls `probe` over /proc/net/ipv6_route until it gives a value; null at the deadline or without IPv6. */
export function pollRoutes6<T>(probe: (text: string) => T | null, deadline: number): Promise<T | null> {
  return pollIfInet6(probe, deadline, readIpv6Route);
}

/** Polls `probe` over /proc/net/if_inet6 until it gives a value; null at the deadline or without IPv6. */
export async function pollIfInet6<T>(probe: (text: string) => T | null, deadline: number, read = readIfInet6): Promise<T | null> {
  for (;;) {
    let text: string;
    try {
      text = read();
    } catch {
      return null;
    }
    const found = probe(text);
    if (found !== null) return found;
    if (Date.now() >= deadline) return null;
    await sleep(50);
  }
}

/** Polls until `iface` has a usable global IPv6 address; null after `timeoutMs`. */
export function waitForIpv6(iface: string, timeoutMs: number, read = readIfInet6): Promise<Ipv6Address | null> {
  return pollIfInet6((text) => usableGlobalAddresses(text).find((a) => a.iface === iface) ?? null, Date.now() + timeoutMs, read);
}

/** How long duplicate address detection may take before the address is taken as usable (the kernel's is ~1 s). */
export const DAD_WAIT_MS = 5000;

/**
 * Duplicate address detection's verdict on an address just added to `iface`: "usable",
 * "dadfailed" (another host holds it), or null when it has not finished within `waitMs` (said on
 * the console: the address is used anyway).
 */
export async function dadVerdict(iface: string, address: string, waitMs = DAD_WAIT_MS): Promise<"usable" | "dadfailed" | null> {
  const verdict = await pollIfInet6((t) => {
    const s = addressState(t, iface, address);
    return s === "usable" || s === "dadfailed" ? s : null;
  }, Date.now() + waitMs);
  if (verdict === null) warn(`${iface}: ${address} is still tentative after ${waitMs / 1000}s (duplicate address detection): connections may fail until it is done`);
  return verdict;
}
