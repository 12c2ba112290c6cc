// IPv6 comes from the kernel itself: once a link is up it sends a router solicitation and, from the
// router's advertisement, configures an address and a default route (SLAAC). tarboot configures no
// IPv6 of its own; it only waits for that address when a layer is to be fetched from an IPv6
// address, since the first request would otherwise meet "network unreachable" while SLAAC and its
// duplicate address detection run.
import { readFileSync } from "node:fs";

export interface Ipv6Address {
  address: string;
  prefix: number;
  iface: string;
}

const SCOPE_GLOBAL = 0x00;
// Site-local (fec0::/10) is deprecated, but QEMU's user network still hands it out.
const SCOPE_SITE = 0x40;
const IFA_F_DADFAILED = 0x08;
const IFA_F_TENTATIVE = 0x40;

/** Routable (global or site-local) addresses that are usable now (duplicate address detection done and passed), from /proc/net/if_inet6. */
export function usableGlobalAddresses(ifInet6: string): Ipv6Address[] {
  const found: Ipv6Address[] = [];
  for (const line of ifInet6.split("\n")) {
    const f = line.trim().split(/\s+/);
    if (f.length < 6 || !/^[0-9a-f]{32}$/i.test(f[0])) continue;
    const scope = parseInt(f[3], 16);
    const flags = parseInt(f[4], 16);
    if ((scope !== SCOPE_GLOBAL && scope !== SCOPE_SITE) || flags & (IFA_F_TENTATIVE | IFA_F_DADFAILED)) continue;
    found.push({ address: compress(f[0].toLowerCase()), prefix: parseInt(f[2], 16), iface: f[5] });
  }
  return found;
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

/** Polls until `iface` has a usable global IPv6 address; null after `timeoutMs`. */
export async function waitForIpv6(iface: string, timeoutMs: number, read = () => readFileSync("/proc/net/if_inet6", "latin1")): Promise<Ipv6Address | null> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let text = "";
    try {
      text = read();
    } catch {
      return null; // no IPv6 in this kernel
    }
    const found = usableGlobalAddresses(text).find((a) => a.iface === iface);
    if (found) return found;
    if (Date.now() >= deadline) return null;
    await sleep(100);
  }
}
