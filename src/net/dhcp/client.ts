// The DHCPv4 client state machine for one interface (RFC 2131 4.4): INIT -> SELECTING ->
// REQUESTING -> BOUND, and from BOUND the RENEWING and REBINDING exchanges. It only talks DHCP;
// configuring the interface with the result is the caller's job.
import type { Lease } from "../lease";
import { debug, info, warn } from "../../console/log";
import { findAddressUser } from "../address-in-use";
import { leaseFromAck } from "./ack";
import { ACQUIRE_BACKOFF, backoffDelay, extendDelay } from "./backoff";
import { DhcpSocket, exchange, type Received } from "./exchange";
import { type ClientIdentity, decline, discover, macToString, release, requestExtend, requestSelecting } from "./messages";
import { MessageType, messageTypeName, Opt, readIp, readString } from "./options";
import { messageType } from "./packet";

const BROADCAST = "255.255.255.255";
/** REQUESTs in SELECTING state before going back to DISCOVER (RFC 2131 leaves this open). */
const MAX_SELECTING_REQUESTS = 4;
/** After declining an address in use, "a minimum of ten seconds" before asking again (RFC 2131 3.1). */
const DECLINE_WAIT_MS = 10_000;

export interface DhcpClientOptions {
  iface: string;
  identity: ClientIdentity;
  /** Uniform in [0, 1); jitter source. */
  random?: () => number;
  /** Probe an acknowledged address with ARP for this long before taking it (0: no check). */
  arpCheckMs?: number;
  /** The interface's index, for the ARP probe. */
  ifindex?: number;
}

/** Counts for error messages: what the client did before giving up. */
export interface AcquireStats {
  discovers: number;
  offers: number;
  requests: number;
  naks: number;
  /** Acknowledged addresses declined because another host answered ARP for them. */
  declined: string[];
  lastSendError?: Error;
}

export class DhcpTimeoutError extends Error {
  readonly iface: string;
  readonly stats: AcquireStats;
  readonly seconds: number;

  constructor(iface: string, seconds: number, stats: AcquireStats) {
    const declined = stats.declined.length ? `, declined as in use: ${stats.declined.join(", ")}` : "";
    const what =
      stats.offers === 0
        ? `no DHCP offer on ${iface} after ${seconds}s (${stats.discovers} DISCOVER${stats.discovers === 1 ? "" : "s"} sent)`
        : `no DHCP lease on ${iface} after ${seconds}s (${stats.offers} offer${stats.offers === 1 ? "" : "s"}, ${stats.requests} REQUEST${stats.requests === 1 ? "" : "s"} sent, ${stats.naks} NAK${stats.naks === 1 ? "" : "s"}${declined})`;
    super(stats.lastSendError ? `${what}; last send failed: ${stats.lastSendError.message}` : what);
    this.name = "DhcpTimeoutError";
    this.iface = iface;
    this.stats = stats;
    this.seconds = seconds;
  }
}

export class DhcpAbortedError extends Error {
  constructor(iface: string) {
    super(`${iface}: DHCP stopped`);
    this.name = "DhcpAbortedError";
  }
}

export type ExtendResult =
  | { kind: "ack"; lease: Lease }
  | { kind: "nak"; server: string; message?: string }
  /** The answer moved the node to an address another host holds: declined to the server, so discovery starts again. */
  | { kind: "declined"; server: string; address: string; holder: string }
  | { kind: "timeout"; sends: number }
  | { kind: "aborted" };

interface Offer {
  address: string;
  serverId: string;
}

// Math.random, not node:crypto: loading node:crypto took ~24 ms natively and several hundred under
// emulation at the start of every boot, and neither the transaction ID (which only tells clients'
// exchanges apart, RFC 2131 4.1) nor the retransmission jitter needs a cryptographic source.
// V8 seeds Math.random from the system's entropy.
function newXid(): number {
  return Math.floor(Math.random() * 2 ** 32) >>> 0;
}

/** Resolves after `ms`, or at once when `signal` aborts (the DHCPv6 client waits the same way). */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}

export class DhcpClient {
  readonly iface: string;
  readonly identity: ClientIdentity;
  private readonly random: () => number;
  private readonly mac: string;
  private readonly arpCheckMs: number;
  private readonly ifindex: number | undefined;

  constructor(o: DhcpClientOptions) {
    this.iface = o.iface;
    this.identity = o.identity;
    this.random = o.random ?? Math.random;
    this.mac = macToString(o.identity.mac);
    this.arpCheckMs = o.arpCheckMs ?? 0;
    this.ifindex = o.ifindex;
  }

  /** A reply addressed to us: our transaction, our hardware address. */
  private ours(r: Received, xid: number): boolean {
    return r.packet.xid === xid && r.packet.chaddr.subarray(0, 6).equals(this.identity.mac);
  }

  /**
   * Gets a lease from scratch: DISCOVER until an OFFER comes, REQUEST it, start over on NAK or
   * silence, until `timeoutMs` has passed.
   */
  async acquire(o: { timeoutMs: number; signal?: AbortSignal; requestedIp?: string }): Promise<Lease> {
    const startedAt = Date.now();
    const deadline = startedAt + o.timeoutMs;
    const stats: AcquireStats = { discovers: 0, offers: 0, requests: 0, naks: 0, declined: [] };
    // Asked for in DISCOVER until a server refuses it.
    let requestedIp = o.requestedIp;
    const socket = DhcpSocket.open(this.iface);
    try {
      for (;;) {
        const xid = newXid();
        const offered = await exchange<Offer>({
          socket,
          to: BROADCAST,
          build: (secs) => discover(this.identity, xid, secs, requestedIp),
          accept: (r) => this.acceptOffer(r, xid),
          startedAt,
          deadline,
          delay: (n) => backoffDelay(ACQUIRE_BACKOFF, n, this.random),
          signal: o.signal,
        });
        stats.discovers += offered.sends;
        if (!offered.ok) {
          if (offered.reason === "aborted") throw new DhcpAbortedError(this.iface);
          stats.lastSendError = offered.sendError;
          throw new DhcpTimeoutError(this.iface, Math.round(o.timeoutMs / 1000), stats);
        }
        stats.offers++;
        const offer = offered.value;
        debug(`${this.iface}: offer of ${offer.address} from ${offer.serverId}`);

        const answered = await exchange<Received>({
          socket,
          to: BROADCAST,
          build: (secs) => requestSelecting(this.identity, xid, secs, offer.address, offer.serverId),
          accept: (r) => (this.ours(r, xid) && this.isAckOrNak(r, offer.serverId) ? r : undefined),
          startedAt,
          deadline,
          delay: (n) => backoffDelay(ACQUIRE_BACKOFF, n, this.random),
          maxSends: MAX_SELECTING_REQUESTS,
          signal: o.signal,
        });
        stats.requests += answered.sends;
        if (!answered.ok) {
          if (answered.reason === "aborted") throw new DhcpAbortedError(this.iface);
          if (Date.now() >= deadline) {
            stats.lastSendError = answered.sendError;
            throw new DhcpTimeoutError(this.iface, Math.round(o.timeoutMs / 1000), stats);
          }
          info(`${this.iface}: no answer to REQUEST for ${offer.address} from ${offer.serverId}, starting over`);
          continue;
        }
        const reply = answered.value;
        if (messageType(reply.packet) === MessageType.NAK) {
          stats.naks++;
          info(`${this.iface}: ${offer.serverId} refused ${offer.address} (DHCPNAK${this.nakReason(reply)}), starting over`);
          // Back off on repeated NAKs so that a confused server and client do not loop at full speed.
          if (stats.naks > 1) await sleep(Math.min(1000 * 2 ** (stats.naks - 2), 10000), o.signal);
          requestedIp = undefined;
          continue;
        }
        const lease = this.toLease(reply, answered.lastSentAt);
        const user = await this.addressUser(lease.address, o.signal);
        if (user === null) return lease;
        // Taken by a host the server does not know about: tell the server, so that it offers
        // another address next time, and ask again after the wait the RFC asks for.
        stats.declined.push(`${lease.address} by ${user}`);
        this.decline(socket, xid, lease.address, offer.serverId, user);
        warn(`${this.iface}: ${lease.address} from ${offer.serverId} is already in use by ${user} (it answered ARP); declined, asking again in ${DECLINE_WAIT_MS / 1000}s`);
        await sleep(Math.min(DECLINE_WAIT_MS, Math.max(0, deadline - Date.now())), o.signal);
        requestedIp = undefined;
      }
    } finally {
      socket.close();
    }
  }

  /**
   * RENEWING (unicast to the server that granted the lease) or REBINDING (broadcast to any
   * server), retransmitting until `deadline` (T2 or the lease's end).
   */
  async extend(lease: Lease, mode: "renew" | "rebind", deadline: number, signal?: AbortSignal): Promise<ExtendResult> {
    const startedAt = Date.now();
    const xid = newXid();
    const to = mode === "renew" && lease.serverId ? lease.serverId : BROADCAST;
    const socket = DhcpSocket.open(this.iface);
    try {
      const r = await exchange<Received>({
        socket,
        to,
        build: (secs) => requestExtend(this.identity, xid, secs, lease.address),
        // While renewing, only the server holding the lease may answer; while rebinding, any.
        accept: (rep) => (this.ours(rep, xid) && this.isAckOrNak(rep, mode === "renew" ? lease.serverId : undefined) ? rep : undefined),
        startedAt,
        deadline,
        delay: (_n, now) => extendDelay(deadline - now, this.random),
        signal,
      });
      if (!r.ok) return r.reason === "aborted" ? { kind: "aborted" } : { kind: "timeout", sends: r.sends };
      const reply = r.value;
      if (messageType(reply.packet) === MessageType.NAK) {
        return { kind: "nak", server: this.serverOf(reply), message: this.nakMessage(reply) };
      }
      const renewed = this.toLease(reply, r.lastSentAt);
      // A new address gets the ARP check the first one had (with tarboot.arp-check=).
      const user = renewed.address === lease.address ? null : await this.addressUser(renewed.address, signal);
      if (user !== null) {
        const server = this.serverOf(reply);
        this.decline(socket, xid, renewed.address, server, user);
        return { kind: "declined", server, address: renewed.address, holder: `${user} (it answered ARP)` };
      }
      return { kind: "ack", lease: renewed };
    } finally {
      socket.close();
    }
  }

  /** Gives a lease back (an interface that lost the race); best effort, no answer expected. */
  release(lease: Lease): void {
    if (!lease.serverId) return;
    let socket: DhcpSocket | undefined;
    try {
      socket = DhcpSocket.open(this.iface);
      socket.send(release(this.identity, newXid(), lease.address, lease.serverId), lease.serverId);
    } catch (err) {
      debug(`${this.iface}: DHCPRELEASE of ${lease.address} failed: ${(err as Error).message}`);
    } finally {
      socket?.close();
    }
  }

  /** The MAC of another host using `address` per ARP, or null (also when the check is off). */
  /** DHCPDECLINE for an address `user` holds; best effort (the server learns of it, or offers it again). */
  private decline(socket: DhcpSocket, xid: number, address: string, server: string, user: string): void {
    try {
      socket.send(decline(this.identity, xid, address, server, `address in use by ${user}`), BROADCAST);
    } catch (err) {
      debug(`${this.iface}: DHCPDECLINE not sent: ${(err as Error).message}`);
    }
  }

  private async addressUser(address: string, signal?: AbortSignal): Promise<string | null> {
    if (this.arpCheckMs <= 0 || this.ifindex === undefined) return null;
    const user = await findAddressUser({ iface: this.iface, ifindex: this.ifindex, mac: this.mac, address, waitMs: this.arpCheckMs }, signal);
    if (user === null) debug(`${this.iface}: no answer to ARP probes for ${address} in ${this.arpCheckMs} ms: free`);
    return user;
  }

  private acceptOffer(r: Received, xid: number): Offer | undefined {
    if (!this.ours(r, xid) || messageType(r.packet) !== MessageType.OFFER) return undefined;
    if (r.packet.yiaddr === "0.0.0.0") return undefined;
    const serverId = this.serverOf(r);
    return { address: r.packet.yiaddr, serverId };
  }

  private isAckOrNak(r: Received, serverId: string | undefined): boolean {
    const t = messageType(r.packet);
    if (t !== MessageType.ACK && t !== MessageType.NAK) {
      if (t !== MessageType.OFFER) debug(`${this.iface}: ignoring ${messageTypeName(t ?? 0)} from ${r.from}`);
      return false;
    }
    // Another server's answer to a REQUEST that named a different server is not for us.
    return serverId === undefined || this.serverOf(r) === serverId;
  }

  private serverOf(r: Received): string {
    const id = r.packet.options.get(Opt.SERVER_ID);
    if (id && id.length === 4) return readIp(Opt.SERVER_ID, id);
    return r.from;
  }

  private nakMessage(r: Received): string | undefined {
    const m = r.packet.options.get(Opt.MESSAGE);
    return m ? readString(m) : undefined;
  }

  private nakReason(r: Received): string {
    const m = this.nakMessage(r);
    return m ? `: ${m}` : "";
  }

  private toLease(r: Received, sentAt: number): Lease {
    const { lease, problems } = leaseFromAck(r.packet, this.iface, this.mac, sentAt, r.from);
    for (const p of problems) info(`${this.iface}: ${p}`);
    return lease;
  }
}
