// One request/reply exchange on a DHCP socket (v4, or v6's): send, retransmit on a schedule, and
// hand back the first reply the caller accepts (or the best of a collection window), or report how
// many sends went unanswered.
import { DeviceUdpSocket } from "../../sys/socket";
import { debug } from "../../console/log";
import { BOOTREPLY, CLIENT_PORT, decodePacket, encodePacket, type DhcpPacket, SERVER_PORT } from "./packet";

export interface Received {
  packet: DhcpPacket;
  from: string;
}

/** The client's socket on one interface (UDP port 68, bound to the device). */
export class DhcpSocket {
  readonly iface: string;
  private sock: DeviceUdpSocket;
  private listener: ((r: Received) => void) | null = null;

  private constructor(iface: string) {
    this.iface = iface;
    this.sock = DeviceUdpSocket.open(iface, CLIENT_PORT, (msg) => {
      let packet: DhcpPacket;
      try {
        packet = decodePacket(msg.data);
      } catch (err) {
        debug(`${iface}: ignoring packet from ${msg.address}: ${(err as Error).message}`);
        return;
      }
      if (packet.op !== BOOTREPLY) return;
      this.listener?.({ packet, from: msg.address });
    });
  }

  static open(iface: string): DhcpSocket {
    return new DhcpSocket(iface);
  }

  send(p: DhcpPacket, to: string): void {
    this.sock.send(encodePacket(p), to, SERVER_PORT);
  }

  setListener(fn: ((r: Received) => void) | null): void {
    this.listener = fn;
  }

  close(): void {
    this.listener = null;
    this.sock.close();
  }
}

/** What an exchange needs of a socket: DhcpSocket, and DHCPv6's. */
export interface ExchangeSocket<P, R> {
  readonly iface: string;
  send(p: P, to: string): void;
  setListener(fn: ((r: R) => void) | null): void;
}

export interface ExchangeOptions<T, P = DhcpPacket, R = Received> {
  socket: ExchangeSocket<P, R>;
  /** Builds the packet for each (re)transmission; `secs` is the time since `startedAt`. */
  build: (secs: number) => P;
  to: string;
  /** Returns a value for a reply that answers this exchange, undefined to keep waiting. */
  accept: (r: R) => T | undefined;
  startedAt: number;
  /** Absolute time (ms) after which the exchange gives up. */
  deadline: number;
  /** Milliseconds from send number `attempt` (0-based) to the next one. */
  delay: (attempt: number, now: number) => number;
  /** Transmissions before giving up, failed sends included. */
  maxSends?: number;
  /**
   * Instead of the first accepted reply, the best of those that arrive within `windowMs` of the
   * first send (the first among equals), or at once one that ranks `enough`; when none came in the
   * window, the first one after it. DHCPv6's rule for ADVERTISEs (RFC 8415, 18.2.1).
   */
  collect?: { windowMs: number; rank: (v: T) => number; enough: number };
  signal?: AbortSignal;
  now?: () => number;
}

/** `sends` counts packets that left the host; `sendError` is the last failure, if the last send failed. */
export type ExchangeResult<T> =
  | { ok: true; value: T; sends: number; lastSentAt: number }
  | { ok: false; reason: "timeout" | "aborted"; sends: number; sendError?: Error };

export function exchange<T, P = DhcpPacket, R = Received>(o: ExchangeOptions<T, P, R>): Promise<ExchangeResult<T>> {
  const now = o.now ?? Date.now;
  return new Promise((resolve) => {
    let attempts = 0;
    let sends = 0;
    let lastSentAt = 0;
    let sendError: Error | undefined;
    let timer: NodeJS.Timeout | undefined;
    let done = false;
    let firstSentAt: number | undefined;
    let best: { value: T; rank: number } | undefined;
    let windowTimer: NodeJS.Timeout | undefined;

    const finish = (r: ExchangeResult<T>) => {
      if (done) return;
      done = true;
      if (timer) clearTimeout(timer);
      if (windowTimer) clearTimeout(windowTimer);
      o.socket.setListener(null);
      o.signal?.removeEventListener("abort", onAbort);
      resolve(r);
    };
    const onAbort = () => finish({ ok: false, reason: "aborted", sends, sendError });
    if (o.signal?.aborted) return onAbort();
    o.signal?.addEventListener("abort", onAbort, { once: true });

    const take = (value: T) => finish({ ok: true, value, sends, lastSentAt });
    o.socket.setListener((r) => {
      if (attempts === 0) return;
      const value = o.accept(r);
      if (value === undefined) return;
      const c = o.collect;
      if (!c) return take(value);
      const rank = c.rank(value);
      const windowEnd = (firstSentAt ?? now()) + c.windowMs;
      if (rank >= c.enough || now() >= windowEnd) return take(best && best.rank >= rank ? best.value : value);
      if (!best || rank > best.rank) best = { value, rank };
      windowTimer ??= setTimeout(() => take(best!.value), windowEnd - now());
    });

    const transmit = () => {
      if (done) return;
      const t = now();
      if (t >= o.deadline || (o.maxSends !== undefined && attempts >= o.maxSends)) {
        return best ? take(best.value) : finish({ ok: false, reason: "timeout", sends, sendError });
      }
      try {
        o.socket.send(o.build(Math.floor((t - o.startedAt) / 1000)), o.to);
        sends++;
        sendError = undefined;
      } catch (err) {
        // A link that is still down fails the send; keep the schedule, the link may come up.
        sendError = err as Error;
        debug(`${o.socket.iface}: send to ${o.to} failed: ${sendError.message}`);
      }
      lastSentAt = t;
      firstSentAt ??= t;
      attempts++;
      const wait = Math.max(0, Math.min(o.delay(attempts - 1, t), o.deadline - t));
      timer = setTimeout(transmit, wait);
    };
    transmit();
  });
}
