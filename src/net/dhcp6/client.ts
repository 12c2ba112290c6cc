// Our DHCPv6 client (RFC 8415) for one interface: SOLICIT until a server advertises an address,
// REQUEST it, and later RENEW and REBIND it for the lease keeper. Messages go from the link-local
// address (so duplicate address detection must have passed it) to All_DHCP_Relay_Agents_and_Servers.
// The first usable ADVERTISE is taken, as the DHCPv4 client takes the first OFFER: a boot waits
// for no second opinion.
import type { Socket } from "node:dgram";
import { debug, info, warn } from "../../console/log";
import type { Lease } from "../lease";
import { INFINITE_LEASE } from "../dhcp/ack";
import { backoffDelay, type Backoff, extendDelay } from "../dhcp/backoff";
import { DhcpAbortedError, type ExtendResult, sleep } from "../dhcp/client";
import { exchange, type ExchangeSocket } from "../dhcp/exchange";
import { dadVerdict, pollIfInet6, usableLinkLocal } from "../ipv6";
import { addAddress, deleteAddress } from "../../sys/netdev";
import {
  ALL_SERVERS,
  askFor,
  CLIENT_PORT6,
  decodeMessage6,
  describeStatus,
  duidLl,
  encodeMessage6,
  grantedAddress,
  type IaAddress,
  type Identity6,
  INFINITY6,
  type Message6,
  Msg6,
  giveBack,
  readServerMessage,
  SERVER_PORT6,
  type ServerMessage,
  solicit,
} from "./message";

/** RFC 8415's SOL_TIMEOUT and REQ_TIMEOUT are 1 s, doubling; capped like the DHCPv4 client. */
const SOLICIT_BACKOFF: Backoff = { initialMs: 1000, maxMs: 16000, jitterMs: 100 };
/** REQ_MAX_RC. */
const MAX_REQUESTS = 10;
/** Duplicate address detection takes ~1 s (one probe, RetransTimer); a few seconds bound it. */
/** After a DECLINE, before asking again: the server has to mark the address first. */
const DECLINE_WAIT_MS = 2000;

export interface Received6 {
  message: Message6;
  /** The server's (or relay's) address, without the scope. */
  from: string;
}

/** UDP port 546 on the interface's link-local address. */
class Dhcp6Socket implements ExchangeSocket<Message6, Received6> {
  private listener: ((r: Received6) => void) | null = null;
  private constructor(
    readonly iface: string,
    private readonly sock: Socket,
  ) {
    sock.on("message", (data, rinfo) => {
      let message: Message6;
      try {
        message = decodeMessage6(data);
      } catch (err) {
        debug(`${iface}: ignoring a DHCPv6 message from ${rinfo.address}: ${(err as Error).message}`);
        return;
      }
      this.listener?.({ message, from: rinfo.address.replace(/%.*/, "") });
    });
  }

  static async open(iface: string, linkLocal: string): Promise<Dhcp6Socket> {
    // node:dgram only for a DHCPv6 boot (src/boot/lazy-modules.test.ts).
    const { createSocket } = await import("node:dgram");
    const sock = createSocket({ type: "udp6" });
    return new Promise((resolve, reject) => {
      sock.once("error", (err) => {
        sock.close();
        reject(new Error(`cannot open the DHCPv6 client port on ${linkLocal}: ${err.message}`));
      });
      sock.bind({ address: `${linkLocal}%${iface}`, port: CLIENT_PORT6 }, () => {
        sock.removeAllListeners("error");
        sock.on("error", (err) => debug(`${iface}: DHCPv6 socket: ${err.message}`));
        resolve(new Dhcp6Socket(iface, sock));
      });
    });
  }

  send(m: Message6, to: string): void {
    this.sock.send(encodeMessage6(m), SERVER_PORT6, `${to}%${this.iface}`, (err) => {
      if (err) debug(`${this.iface}: DHCPv6 send to ${to} failed: ${err.message}`);
    });
  }

  setListener(fn: ((r: Received6) => void) | null): void {
    this.listener = fn;
  }

  close(): void {
    this.listener = null;
    this.sock.close();
  }
}

export class Dhcp6TimeoutError extends Error {
  constructor(iface: string, seconds: number, stats: { solicits: number; advertises: number; requests: number; refusals: string[]; declined: string[] }) {
    super(
      stats.advertises === 0
        ? `no DHCPv6 server answered on ${iface} after ${seconds}s (${stats.solicits} SOLICIT${stats.solicits === 1 ? "" : "s"} sent)`
        : `no DHCPv6 lease on ${iface} after ${seconds}s (${stats.advertises} advertise(s), ${stats.requests} REQUEST(s) sent` +
            `${stats.refusals.length ? `; refused: ${stats.refusals.join("; ")}` : ""}${stats.declined.length ? `; declined as in use: ${stats.declined.join(", ")}` : ""})`,
    );
    this.name = "Dhcp6TimeoutError";
  }
}

export interface Dhcp6ClientOptions {
  iface: string;
  /** Where the address goes for duplicate address detection before the lease is returned. */
  ifindex: number;
  mac: Buffer;
  hostname?: string;
  random?: () => number;
}

interface Advertised {
  address: string;
  serverDuid: Buffer;
  from: string;
  /** The server's preference option (0 without one); 255 is taken at once. */
  preference: number;
}

/** The highest preference: an ADVERTISE carrying it ends the collection at once. */
const PREFERENCE_MAX = 255;

export class Dhcp6Client {
  readonly iface: string;
  readonly identity: Identity6;
  private readonly ifindex: number;
  private readonly mac: string;
  private readonly random: () => number;

  constructor(o: Dhcp6ClientOptions) {
    this.iface = o.iface;
    this.ifindex = o.ifindex;
    this.mac = [...o.mac].map((b) => b.toString(16).padStart(2, "0")).join(":");
    // The IAID stays the same at every boot of the NIC: its MAC's last four bytes.
    this.identity = { duid: duidLl(o.mac), iaid: o.mac.readUInt32BE(o.mac.length - 4), hostname: o.hostname };
    this.random = o.random ?? Math.random;
  }

  private newXid(): number {
    return Math.floor(this.random() * 0x1000000) & 0xffffff;
  }

  /** A message for our transaction and our DUID, read; undefined otherwise. */
  private ours(r: Received6, xid: number, type: number): ServerMessage | undefined {
    if (r.message.type !== type || r.message.xid !== xid) return undefined;
    let s: ServerMessage;
    try {
      s = readServerMessage(r.message, this.identity.iaid);
    } catch (err) {
      debug(`${this.iface}: ignoring a DHCPv6 message from ${r.from}: ${(err as Error).message}`);
      return undefined;
    }
    return s.clientDuid?.equals(this.identity.duid) && s.serverDuid ? s : undefined;
  }

  private async socket(deadline: number): Promise<Dhcp6Socket> {
    const linkLocal = await pollIfInet6((t) => usableLinkLocal(t, this.iface), deadline);
    if (!linkLocal) throw new Error(`no usable IPv6 link-local address (IPv6 disabled, or duplicate address detection failed?)`);
    return Dhcp6Socket.open(this.iface, linkLocal);
  }

  async acquire(o: { timeoutMs: number; signal?: AbortSignal }): Promise<Lease> {
    const startedAt = Date.now();
    const deadline = startedAt + o.timeoutMs;
    const stats = { solicits: 0, advertises: 0, requests: 0, refusals: [] as string[], declined: [] as string[] };
    const timeout = () => new Dhcp6TimeoutError(this.iface, Math.round(o.timeoutMs / 1000), stats);
    const socket = await this.socket(deadline);
    try {
      for (;;) {
        const xid = this.newXid();
        const advertised = await exchange<Advertised, Message6, Received6>({
          socket,
          to: ALL_SERVERS,
          build: (secs) => solicit(this.identity, xid, secs * 100),
          accept: (r) => {
            const s = this.ours(r, xid, Msg6.ADVERTISE);
            const got = s && grantedAddress(s);
            if (!s || !got) return undefined;
            if ("refused" in got) {
              debug(`${this.iface}: ${r.from} advertises no address: ${describeStatus(got.refused)}`);
              return undefined;
            }
            return { address: got.address, serverDuid: s.serverDuid!, from: r.from, preference: s.preference };
          },
          // Several servers may answer: the first SOLICIT's timeout is the window to hear them all.
          collect: { windowMs: SOLICIT_BACKOFF.initialMs, rank: (a) => a.preference, enough: PREFERENCE_MAX },
          startedAt,
          deadline,
          delay: (n) => backoffDelay(SOLICIT_BACKOFF, n, this.random),
          signal: o.signal,
        });
        stats.solicits += advertised.sends;
        if (!advertised.ok) {
          if (advertised.reason === "aborted") throw new DhcpAbortedError(this.iface);
          throw timeout();
        }
        stats.advertises++;
        const offer = advertised.value;
        debug(`${this.iface}: ${offer.from} advertises ${offer.address} (preference ${offer.preference})`);
        const rxid = this.newXid();
        const answered = await exchange<ServerMessage, Message6, Received6>({
          socket,
          to: ALL_SERVERS,
          build: (secs) => askFor(Msg6.REQUEST, this.identity, rxid, secs * 100, offer.address, offer.serverDuid),
          accept: (r) => this.ours(r, rxid, Msg6.REPLY),
          startedAt,
          deadline,
          delay: (n) => backoffDelay(SOLICIT_BACKOFF, n, this.random),
          maxSends: MAX_REQUESTS,
          signal: o.signal,
        });
        stats.requests += answered.sends;
        if (!answered.ok) {
          if (answered.reason === "aborted") throw new DhcpAbortedError(this.iface);
          if (Date.now() >= deadline) throw timeout();
          info(`${this.iface}: no answer to REQUEST for ${offer.address} from ${offer.from}, starting over`);
          continue;
        }
        const granted = grantedAddress(answered.value);
        if ("refused" in granted) {
          stats.refusals.push(`${offer.from}: ${describeStatus(granted.refused)}`);
          info(`${this.iface}: ${offer.from} refused ${offer.address} (${describeStatus(granted.refused)}), starting over`);
          await sleep(Math.min(1000 * stats.refusals.length, 10000), o.signal);
          continue;
        }
        const lease = this.toLease(answered.value, granted, offer.from, answered.lastSentAt);
        if ((await this.detectDuplicate(lease)) !== "dadfailed") return lease;
        // Another host holds it (a static address the server does not know of): say so to the
        // server, which then hands out another one, and ask again.
        stats.declined.push(lease.address);
        this.decline(socket, lease);
        warn(`${this.iface}: ${lease.address} from ${offer.from} is already in use by another host (duplicate address detection); declined, asking again in ${DECLINE_WAIT_MS / 1000}s`);
        await sleep(DECLINE_WAIT_MS, o.signal);
      }
    } finally {
      socket.close();
    }
  }

  /**
   * Puts the address on the interface and waits for the kernel's duplicate address detection:
   * "usable", "dadfailed", or null when it has not finished in a few seconds (taken as usable).
   */
  private async detectDuplicate(lease: Lease): Promise<"usable" | "dadfailed" | null> {
    addAddress({ ifindex: this.ifindex, name: this.iface, address: lease.address, prefix: lease.prefix });
    return dadVerdict(this.iface, lease.address);
  }

  /** Tells the granting server another host holds the lease's address (DAD failed) and takes it off the interface. */
  private decline(socket: Dhcp6Socket, lease: Lease): void {
    socket.send(giveBack(Msg6.DECLINE, this.identity, this.newXid(), lease.address, Buffer.from(lease.serverDuid!, "hex")), ALL_SERVERS);
    this.removeAddress(lease.address);
  }

  private removeAddress(address: string): void {
    try {
      deleteAddress({ ifindex: this.ifindex, name: this.iface, address, prefix: 128 });
    } catch (err) {
      debug(`${this.iface}: ${address} not removed: ${(err as Error).message}`);
    }
  }

  /** RENEW (to the server that granted the lease, by its DUID) or REBIND (any server), until `deadline`. */
  async extend(lease: Lease, mode: "renew" | "rebind", deadline: number, signal?: AbortSignal): Promise<ExtendResult> {
    const startedAt = Date.now();
    const xid = this.newXid();
    const duid = mode === "renew" && lease.serverDuid ? Buffer.from(lease.serverDuid, "hex") : undefined;
    let socket: Dhcp6Socket;
    try {
      socket = await this.socket(deadline);
    } catch (err) {
      debug(`${this.iface}: no ${mode === "renew" ? "RENEW" : "REBIND"}: ${(err as Error).message}`);
      return { kind: "timeout", sends: 0 };
    }
    try {
      const r = await exchange<Received6 & { s: ServerMessage }, Message6, Received6>({
        socket,
        to: ALL_SERVERS,
        build: (secs) => askFor(mode === "renew" ? Msg6.RENEW : Msg6.REBIND, this.identity, xid, secs * 100, lease.address, duid),
        accept: (rep) => {
          const s = this.ours(rep, xid, Msg6.REPLY);
          return s ? { ...rep, s } : undefined;
        },
        startedAt,
        deadline,
        delay: (_n, now) => extendDelay(deadline - now, this.random),
        signal,
      });
      if (!r.ok) return r.reason === "aborted" ? { kind: "aborted" } : { kind: "timeout", sends: r.sends };
      const granted = grantedAddress(r.value.s);
      if ("refused" in granted) return { kind: "nak", server: r.value.from, message: describeStatus(granted.refused) };
      const renewed = this.toLease(r.value.s, granted, r.value.from, r.lastSentAt);
      // A new address goes through duplicate address detection as the first one did.
      if (renewed.address !== lease.address && (await this.detectDuplicate(renewed)) === "dadfailed") {
        this.decline(socket, renewed);
        return { kind: "declined", server: r.value.from, address: renewed.address, holder: "another host (duplicate address detection)" };
      }
      return { kind: "ack", lease: renewed };
    } finally {
      socket.close();
    }
  }

  /** Gives the address back (an interface that lost the race) and takes it off; best effort, no answer awaited. */
  release(lease: Lease): void {
    this.removeAddress(lease.address);
    if (!lease.serverDuid) return;
    const duid = Buffer.from(lease.serverDuid, "hex");
    this.socket(Date.now())
      .then((socket) => {
        socket.send(giveBack(Msg6.RELEASE, this.identity, this.newXid(), lease.address, duid), ALL_SERVERS);
        // The datagram leaves on the next turn of the event loop.
        setTimeout(() => socket.close(), 100);
      })
      .catch((err: Error) => debug(`${this.iface}: DHCPv6 RELEASE of ${lease.address} not sent: ${err.message}`));
  }

  private toLease(s: ServerMessage, a: IaAddress, from: string, boundAt: number): Lease {
    const [hostname, ...domain] = (s.fqdn ?? "").split(".");
    const ia = s.ia!;
    // T1 and T2 of 0 leave the times to the client (RFC 8415 21.4): 0.5 and 0.8 of the preferred lifetime.
    const seconds = (n: number) => (n === INFINITY6 ? INFINITE_LEASE : n);
    return {
      source: "dhcp6",
      iface: this.iface,
      mac: this.mac,
      address: a.address,
      prefix: 128,
      netmask: "",
      dns: s.dns,
      search: s.search,
      ...(domain.length > 0 && { domain: domain.join(".") }),
      ...(hostname && { hostname }),
      ntp: s.ntp,
      serverId: from,
      serverDuid: s.serverDuid!.toString("hex"),
      leaseTime: seconds(a.valid),
      renewalTime: ia.t1 ? seconds(ia.t1) : Math.round(a.preferred * 0.5),
      rebindTime: ia.t2 ? seconds(ia.t2) : Math.round(a.preferred * 0.8),
      boundAt,
    };
  }
}
