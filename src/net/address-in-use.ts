// Whether an IPv4 address is already used on a link, asked with ARP probes before the address is
// configured (RFC 2131 4.4.1 asks a DHCP client to check; RFC 5227 says how). tarboot's check is
// short, not RFC 5227's ~7 s: probes at the start and halfway through `waitMs`, and any answer
// within it. A host that does not answer ARP within that time is not seen.
import { debug } from "../console/log";
import { ArpSocket } from "../sys/socket";
import { conflictingHost, decodeArp, encodeProbe } from "./arp";
import { parseMac } from "./dhcp/messages";

const BROADCAST_MAC = Buffer.alloc(6, 0xff);

export interface AddressCheck {
  iface: string;
  ifindex: number;
  /** The interface's own MAC, aa:bb:cc:dd:ee:ff. */
  mac: string;
  address: string;
  waitMs: number;
}

/** Resolves with the MAC of the host already using `address`, or null when none answered in time. */
export function findAddressUser(c: AddressCheck, signal?: AbortSignal): Promise<string | null> {
  const ours = parseMac(c.mac);
  return new Promise((resolve, reject) => {
    let sock: ArpSocket;
    const timers: NodeJS.Timeout[] = [];
    let done = false;
    const finish = (user: string | null) => {
      if (done) return;
      done = true;
      for (const t of timers) clearTimeout(t);
      signal?.removeEventListener("abort", onAbort);
      sock.close();
      resolve(user);
    };
    const onAbort = () => finish(null);
    try {
      sock = ArpSocket.open(c.iface, c.ifindex, (payload) => {
        const p = decodeArp(payload);
        const user = p && conflictingHost(p, c.address, c.mac);
        if (user) finish(user);
      });
    } catch (err) {
      return reject(err);
    }
    const probe = () => {
      try {
        sock.send(encodeProbe(ours, c.address), BROADCAST_MAC);
      } catch (err) {
        // The link may be down for a moment; the other probe or the wait still decide.
        debug(`${c.iface}: ARP probe for ${c.address} not sent: ${(err as Error).message}`);
      }
    };
    if (signal?.aborted) return finish(null);
    signal?.addEventListener("abort", onAbort, { once: true });
    probe();
    timers.push(setTimeout(probe, c.waitMs / 2));
    timers.push(setTimeout(() => finish(null), c.waitMs));
  });
}
