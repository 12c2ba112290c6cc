// Keeps a lease alive for as long as the init runs: RENEW (unicast) at T1, REBIND (broadcast) at
// T2, and a fresh DISCOVER after a NAK or once the lease has run out. A multi-gigabyte download
// over a 120-second lease must not lose its address halfway.
import type { Lease } from "../lease";
import { error, info, warn } from "../../console/log";
import { describeError } from "../../console/errors";
import { DhcpAbortedError, type ExtendResult } from "./client";
import { INFINITE_LEASE } from "./ack";

export type LeaseEvent =
  /** RENEW or REBIND answered: same lease (times and options possibly updated). */
  | { type: "renewed"; lease: Lease; via: "renew" | "rebind" }
  /** No answer from the granting server by T2; asking any server now. */
  | { type: "rebinding"; lease: Lease }
  /** A server refused to extend the lease; discovery starts again. */
  | { type: "nak"; lease: Lease; server: string; message?: string }
  /** The renewal moved the node to an address another host holds; declined, discovery starts again. */
  | { type: "declined"; lease: Lease; server: string; address: string }
  /** The lease ran out without any answer; discovery starts again. */
  | { type: "expired"; lease: Lease }
  /** A new lease after NAK or expiry (the address may have changed). */
  | { type: "bound"; lease: Lease; previous: Lease }
  /** Applying a lease failed or discovery keeps failing; the keeper goes on trying. */
  | { type: "error"; error: Error };

/** What the keeper needs of a client: DhcpClient, Dhcp6Client. */
export interface LeaseClient {
  acquire(o: { timeoutMs: number; signal?: AbortSignal; requestedIp?: string }): Promise<Lease>;
  extend(lease: Lease, mode: "renew" | "rebind", deadline: number, signal?: AbortSignal): Promise<ExtendResult>;
  release(lease: Lease): void;
}

export interface KeeperOptions {
  client: LeaseClient;
  lease: Lease;
  /** Configures the interface for a lease; `previous` is the lease being replaced. */
  apply: (lease: Lease, previous: Lease) => void;
  emit: (e: LeaseEvent) => void;
  /** Time for each discovery attempt after the lease was lost. */
  acquireTimeoutMs: number;
}

const MAX_TIMER_MS = 0x7fffffff;

function sleepUntil(when: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    let timer: NodeJS.Timeout;
    const onAbort = () => {
      clearTimeout(timer);
      resolve();
    };
    const arm = () => {
      const left = when - Date.now();
      if (left <= 0) {
        signal.removeEventListener("abort", onAbort);
        return resolve();
      }
      // setTimeout cannot wait longer than ~24.8 days in one go.
      timer = setTimeout(arm, Math.min(left, MAX_TIMER_MS));
    };
    signal.addEventListener("abort", onAbort, { once: true });
    arm();
  });
}

export class LeaseKeeper {
  private current: Lease;
  private readonly o: KeeperOptions;
  private readonly ac = new AbortController();
  private running: Promise<void> | undefined;

  constructor(o: KeeperOptions) {
    this.o = o;
    this.current = o.lease;
  }

  get lease(): Lease {
    return this.current;
  }

  start(): void {
    this.running ??= this.run().catch((err) => {
      if (!(err instanceof DhcpAbortedError)) error(`${this.current.iface}: lease keeping stopped: ${describeError(err)}`);
    });
  }

  /** Stops all timers and exchanges; resolves once nothing is left running. */
  stop(): Promise<void> {
    this.ac.abort();
    return this.running ?? Promise.resolve();
  }

  private get stopped(): boolean {
    return this.ac.signal.aborted;
  }

  /** The lease is the server's word whatever happens locally, so its timers are followed even if applying it fails. */
  private adopt(lease: Lease): boolean {
    const previous = this.current;
    this.current = lease;
    try {
      this.o.apply(lease, previous);
      return true;
    } catch (err) {
      this.o.emit({ type: "error", error: err as Error });
      error(`${lease.iface}: cannot apply the new lease for ${lease.address}: ${describeError(err)}`);
      return false;
    }
  }

  private async run(): Promise<void> {
    const { client } = this.o;
    const signal = this.ac.signal;
    while (!this.stopped) {
      const l = this.current;
      if (l.leaseTime === undefined || l.leaseTime === INFINITE_LEASE || l.boundAt === undefined) return;
      const t1 = l.boundAt + (l.renewalTime ?? l.leaseTime / 2) * 1000;
      const t2 = l.boundAt + (l.rebindTime ?? l.leaseTime * 0.875) * 1000;
      const end = l.boundAt + l.leaseTime * 1000;

      await sleepUntil(t1, signal);
      if (this.stopped) return;
      let via: "renew" | "rebind" = "renew";
      let r = await client.extend(l, "renew", t2, signal);
      if (r.kind === "timeout") {
        warn(`${l.iface}: no answer to RENEW from ${l.serverId ?? "the server"}, rebinding ${l.address} with any server`);
        this.o.emit({ type: "rebinding", lease: l });
        via = "rebind";
        r = await client.extend(l, "rebind", end, signal);
      }
      if (r.kind === "aborted" || this.stopped) return;
      if (r.kind === "ack") {
        if (r.lease.address !== l.address) info(`${l.iface}: server moved us from ${l.address} to ${r.lease.address}`);
        if (this.adopt(r.lease)) {
          info(`${l.iface}: lease on ${r.lease.address} extended for ${r.lease.leaseTime}s (${via})`);
          this.o.emit({ type: "renewed", lease: r.lease, via });
        }
        continue;
      }
      let requestedIp: string | undefined;
      if (r.kind === "declined") {
        warn(`${l.iface}: ${r.server} moved us from ${l.address} to ${r.address}, which ${r.holder} holds; declined, asking for a new lease`);
        this.o.emit({ type: "declined", lease: l, server: r.server, address: r.address });
      } else if (r.kind === "nak") {
        warn(`${l.iface}: ${r.server} refused to extend the lease on ${l.address} (DHCPNAK${r.message ? `: ${r.message}` : ""}), asking for a new one`);
        this.o.emit({ type: "nak", lease: l, server: r.server, message: r.message });
      } else {
        error(`${l.iface}: LEASE ON ${l.address} EXPIRED: no DHCP server answered for ${l.leaseTime}s; looking for a new lease`);
        this.o.emit({ type: "expired", lease: l });
        requestedIp = l.address;
      }
      const fresh = await this.rediscover(requestedIp);
      if (!fresh) return;
      if (this.adopt(fresh)) {
        info(`${l.iface}: new lease on ${fresh.address} for ${fresh.leaseTime}s from ${fresh.serverId ?? "?"}`);
        this.o.emit({ type: "bound", lease: fresh, previous: l });
      }
    }
  }

  private async rediscover(requestedIp: string | undefined): Promise<Lease | null> {
    while (!this.stopped) {
      try {
        return await this.o.client.acquire({ timeoutMs: this.o.acquireTimeoutMs, signal: this.ac.signal, requestedIp });
      } catch (err) {
        if (err instanceof DhcpAbortedError || this.stopped) return null;
        error(`${this.current.iface}: ${describeError(err)}; still trying`);
        this.o.emit({ type: "error", error: err as Error });
        // A failure that is not a timeout (no socket, say) would otherwise spin.
        await sleepUntil(Date.now() + 5000, this.ac.signal);
      }
    }
    return null;
  }
}
