// Brings the network up for the boot: wait for the NIC (making the bond, VLAN and bridge of bond=,
// vlan= and bridge= over it), bring links up, wait for carrier, get a lease (DHCP, or DHCPv6 with
// ip=dhcp6, on every candidate at once, first lease wins), a SLAAC address (ip=auto6) or apply
// ip=, configure the kernel, host name and resolver, then keep the lease alive in the background.
import type { BootConfig } from "../cmdline/types";
import type { Lease } from "./lease";
import { BootError, describeError } from "../console/errors";
import { debug, info, warn } from "../console/log";
import { sethostname } from "../sys/proc";
import { setLinkUp } from "../sys/netdev";
import { findAddressUser } from "./address-in-use";
import { applyLease, describeLease } from "./apply";
import { DhcpAbortedError, DhcpClient, DhcpTimeoutError } from "./dhcp/client";
import { LeaseKeeper, type LeaseClient, type LeaseEvent } from "./dhcp/keeper";
import { Dhcp6Client, Dhcp6TimeoutError } from "./dhcp6/client";
import { dadVerdict, hasDefaultRoute6, optimisticDad, pollRoutes6 } from "./ipv6";
import { defaultClientId, parseMac } from "./dhcp/messages";
import { hasCarrier, listInterfaces, type NetInterface, readInterface } from "./links";
import { useNameservers, writeResolvConf } from "./resolv";
import { describePresent, describeWanted, pickCandidates, wantedInterface } from "./select";
import { staticLease } from "./static";
import { RaWatch, slaacLease } from "./slaac";
import { stackOrder, stackTop } from "../cmdline/stack";
import { makeBond } from "./bond";
import { makeBridge } from "./bridge";
import { makeVlan } from "./vlan";

export type { LeaseEvent } from "./dhcp/keeper";

export interface NetworkOptions {
  /** Bound on waiting for the interface(s) to appear and for carrier, together. */
  netWaitMs: number;
  /** Bound on getting the first lease, per interface, from its first DISCOVER. */
  dhcpTimeoutMs: number;
  /** Where to write the resolver configuration; PID 1 passes "/etc/resolv.conf". */
  resolvConf?: string;
  /** Set the kernel host name (default true). */
  setHostname?: boolean;
  /** Vendor class identifier (option 60), default "tarboot". */
  vendorClass?: string;
  /** Milliseconds of ARP probing before an address is used (0 or absent: no check). */
  arpCheckMs?: number;
}

export interface NetworkSession {
  /** The lease in force now (renewals replace it); null with ip=off. */
  readonly lease: Lease | null;
  /** The host name that was set (command line first, then the lease), if any. */
  readonly hostname: string | undefined;
  /**
   * Settles once the host name is final: a name from reverse DNS (when neither hostname= nor the
   * lease gives one) is looked up in the background, so only the steps that use it wait.
   */
  readonly named: Promise<void>;
  /** Subscribes to renewal events; returns the unsubscribe function. */
  on(listener: (e: LeaseEvent) => void): () => void;
  /** Stops lease renewal: clears every timer and closes every socket. */
  stop(): Promise<void>;
}

const POLL_MS = 100;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function ifaceOf(name: string): NetInterface {
  const i = readInterface(name);
  if (!i) throw new BootError("network", `${name}: interface disappeared`);
  return i;
}

function linkUp(i: NetInterface): void {
  try {
    setLinkUp(i.ifindex, i.name);
  } catch (err) {
    throw new BootError("network", `${i.name}: cannot bring the link up: ${describeError(err)}`, { cause: err });
  }
}

async function waitForInterfaces(cfg: BootConfig, deadline: number, waitMs: number): Promise<NetInterface[]> {
  const wanted = wantedInterface({ bootif: cfg.bootif, device: cfg.ip.mode === "off" ? undefined : cfg.ip.device, made: stackTop(cfg) });
  for (;;) {
    const present = listInterfaces();
    const found = pickCandidates(wanted, present);
    if (found.length > 0) return found;
    if (Date.now() >= deadline) {
      throw new BootError(
        "network",
        `${describeWanted(wanted)} did not appear within ${Math.round(waitMs / 1000)}s; present: ${describePresent(present)}` +
          " (is the NIC driver in the initramfs? see tarboot.netwait=)",
      );
    }
    await sleep(POLL_MS);
  }
}

/** Resolves with the first candidate that has carrier, or null at the deadline. */
async function firstWithCarrier(cands: NetInterface[], deadline: number): Promise<NetInterface | null> {
  for (;;) {
    const up = cands.find((c) => hasCarrier(c.name));
    if (up) return up;
    if (Date.now() >= deadline) return null;
    await sleep(POLL_MS);
  }
}

interface Won {
  lease: Lease;
  client: LeaseClient;
  iface: NetInterface;
}

/** A DHCP client for one candidate, DHCPv4's or DHCPv6's. */
type ClientFor = (iface: NetInterface) => LeaseClient;

/**
 * DHCP on every candidate, each starting as soon as its link has carrier (or at the carrier
 * deadline without it); the first ACK wins and the others are stopped or released.
 */
function raceDhcp(cands: NetInterface[], carrierDeadline: number, opts: NetworkOptions, clientFor: ClientFor, what: string): Promise<Won> {
  return new Promise((resolve, reject) => {
    const ac = new AbortController();
    const failures = new Map<string, string>();
    const started = new Set<string>();
    const noCarrier = new Set<string>();
    let won = false;
    let watch: NodeJS.Timeout | undefined;

    const start = (iface: NetInterface) => {
      started.add(iface.name);
      const client = clientFor(iface);
      info(`${iface.name}: asking for a ${what} lease (MAC ${iface.mac})`);
      client.acquire({ timeoutMs: opts.dhcpTimeoutMs, signal: ac.signal }).then(
        (lease) => {
          if (won) {
            client.release(lease);
            return;
          }
          won = true;
          if (watch) clearInterval(watch);
          ac.abort();
          resolve({ lease, client, iface });
        },
        (err) => {
          if (err instanceof DhcpAbortedError) return;
          let msg = err instanceof DhcpTimeoutError || err instanceof Dhcp6TimeoutError ? err.message : `${iface.name}: ${describeError(err)}`;
          if (noCarrier.has(iface.name) && !hasCarrier(iface.name)) msg += "; the link never had carrier (cable? switch port?)";
          failures.set(iface.name, msg);
          if (failures.size === cands.length && !won) {
            if (watch) clearInterval(watch);
            const text = cands.length === 1 ? msg : `no DHCP lease on any interface: ${[...failures.values()].join("; ")}`;
            reject(new BootError("network", text, { cause: err }));
          }
        },
      );
    };

    const check = () => {
      const late = Date.now() >= carrierDeadline;
      for (const c of cands) {
        if (started.has(c.name)) continue;
        if (hasCarrier(c.name)) start(c);
        else if (late) {
          warn(`${c.name}: no carrier after waiting, trying DHCP anyway`);
          noCarrier.add(c.name);
          start(c);
        }
      }
      if (started.size === cands.length && watch) clearInterval(watch);
    };
    watch = setInterval(check, POLL_MS);
    check();
  });
}

function dhcpClientFor(opts: NetworkOptions, hostname: string | undefined): ClientFor {
  return (iface) => {
    const mac = parseMac(iface.mac);
    return new DhcpClient({
      iface: iface.name,
      identity: { mac, clientId: defaultClientId(mac), hostname, vendorClass: opts.vendorClass ?? "tarboot", maxMessageSize: iface.mtu },
      arpCheckMs: opts.arpCheckMs,
      ifindex: iface.ifindex,
    });
  };
}

function dhcp6ClientFor(hostname: string | undefined): ClientFor {
  return (iface) => new Dhcp6Client({ iface: iface.name, ifindex: iface.ifindex, mac: parseMac(iface.mac), hostname });
}

function startRaWatch(): RaWatch {
  try {
    return RaWatch.start();
  } catch (err) {
    throw new BootError("network", `ip=auto6: cannot listen for router advertisements' DNS options: ${describeError(err)}`, { cause: err });
  }
}

/**
 * A DHCPv6 address (which the client has put through duplicate address detection) reaches
 * anything only with the routes a router advertisement brings (DHCPv6 has no router option):
 * waits for the default route, warning without one.
 */
async function settleIpv6(lease: Lease, deadline: number): Promise<void> {
  const routed = await pollRoutes6((t) => (hasDefaultRoute6(t, lease.iface) ? true : null), Math.max(deadline, Date.now() + 1000));
  if (!routed) warn(`${lease.iface}: no IPv6 default route (no router advertisement on the link): DHCPv6 gives no routes, so servers off the link cannot be reached`);
}

/** Waits for duplicate address detection on a static IPv6 address; another host holding it fails the boot. */
async function checkDad(lease: Lease): Promise<void> {
  const verdict = await dadVerdict(lease.iface, lease.address);
  if (verdict === "dadfailed") {
    throw new BootError("network", `${lease.iface}: ${lease.address} (from ip=) is already in use by another host (duplicate address detection); not using it`);
  }
}

/** The reverse lookup of the host name, in all: a DNS server that does not answer must not hold the boot. */
const REVERSE_DNS_MS = 1000;

function chooseHostname(cfg: BootConfig, lease: Lease): string | undefined {
  return cfg.hostname ?? lease.hostname;
}

export async function bringUpNetwork(cfg: BootConfig, opts: NetworkOptions): Promise<NetworkSession> {
  const lo = readInterface("lo");
  if (lo) {
    try {
      setLinkUp(lo.ifindex, "lo");
    } catch (err) {
      warn(`lo: cannot bring loopback up: ${describeError(err)}`);
    }
  }
  if (cfg.ip.mode === "off") {
    info("ip=off: leaving the network unconfigured");
    return fixedSession(null, () => undefined);
  }

  const waitStart = Date.now();
  const deadline = waitStart + opts.netWaitMs;
  const lower = { deadline, waitMs: opts.netWaitMs, bootif: cfg.bootif };
  for (const made of stackOrder(cfg)) {
    if (made.kind === "bond") await makeBond(cfg.bond!, lower);
    else if (made.kind === "vlan") await makeVlan(cfg.vlan!, lower);
    else await makeBridge(cfg.bridge!, lower);
  }
  const cands = await waitForInterfaces(cfg, deadline, opts.netWaitMs);
  const restoreDad = cfg.ip.mode === "dhcp6" ? cands.map((c) => optimisticDad(c.name)) : [];
  // Before the links come up: the router's answer to their first solicitation carries the DNS servers.
  const raWatch = cfg.ip.mode === "auto6" ? startRaWatch() : null;
  for (const c of cands) linkUp(c);
  debug(`candidates: ${cands.map((c) => c.name).join(", ")}`);

  const setHost = opts.setHostname ?? true;
  // A name from reverse DNS, when neither hostname= nor the lease gives one; renewals of the same
  // address keep it (a new address may have another name: it stays unnamed).
  let dnsName: { hostname: string; domain?: string; address: string } | null = null;
  /** Looks the address up; `named` applies the name to the lease in force by then. */
  const nameFromDns = async (lease: Lease, named: (lease: Lease) => void): Promise<void> => {
    if (cfg.hostname || lease.hostname || lease.dns.length === 0) return;
    try {
      const { reverseName, splitName } = await import("./reverse-dns");
      const name = await reverseName(lease.address, lease.dns, REVERSE_DNS_MS);
      if (name) dnsName = { ...splitName(name, lease.domain), address: lease.address };
      named(lease);
    } catch (err) {
      warn(`reverse DNS for the host name failed: ${describeError(err)}`);
    }
  };
  const withDnsName = (lease: Lease): void => {
    if (!dnsName || lease.hostname || lease.address !== dnsName.address) return;
    lease.hostname = dnsName.hostname;
    if (dnsName.domain && !lease.domain) lease.domain = dnsName.domain;
    lease.hostnameFromDns = true;
  };
  const applyHostname = (lease: Lease, previous?: string): string | undefined => {
    const name = chooseHostname(cfg, lease);
    if (name && setHost && name !== previous) {
      try {
        sethostname(name);
        const from = lease.hostnameFromDns ? `reverse DNS of ${lease.address}` : lease.source === "dhcp" ? "DHCP" : lease.source === "dhcp6" ? "DHCPv6" : "ip=";
        info(`hostname ${name}${cfg.hostname ? "" : ` (from ${from})`}`);
      } catch (err) {
        warn(`cannot set host name ${name}: ${describeError(err)}`);
      }
    }
    return name;
  };
  const applyNames = (lease: Lease) => {
    useNameservers(lease.dns);
    if (opts.resolvConf) writeResolvConf(opts.resolvConf, lease);
  };

  /** A lease nobody renews (static ip=, SLAAC), configured: its session, the name from DNS still to come. */
  const unrenewed = (lease: Lease): NetworkSession => {
    info(describeLease(lease));
    let hostname = applyHostname(lease);
    const named = nameFromDns(lease, (l) => {
      withDnsName(l);
      hostname = applyHostname(l, hostname);
    });
    return fixedSession(lease, () => hostname, named);
  };

  if (cfg.ip.mode === "static") {
    const ip = cfg.ip;
    const chosen = cands.length === 1 ? cands[0] : ((await firstWithCarrier(cands, deadline)) ?? cands[0]);
    if (!hasCarrier(chosen.name)) warn(`${chosen.name}: no carrier; configuring it anyway`);
    if (opts.arpCheckMs) {
      const user = await findAddressUser({ iface: chosen.name, ifindex: chosen.ifindex, mac: chosen.mac, address: ip.client, waitMs: opts.arpCheckMs });
      if (user) throw new BootError("network", `${chosen.name}: ${ip.client} (from ip=) is already in use by ${user} (it answered ARP); not configuring it`);
    }
    let lease: Lease;
    try {
      lease = staticLease(ip, chosen.name, chosen.mac);
      applyLease(lease, chosen.ifindex);
      applyNames(lease);
    } catch (err) {
      throw new BootError("network", `${chosen.name}: ${describeError(err)}`, { cause: err });
    }
    // An IPv6 address is used only once duplicate address detection passes: until then the kernel
    // will not send from it, and after a failed one never.
    if (ip.family === 6) await checkDad(lease);
    return unrenewed(lease);
  }

  if (raWatch) {
    let lease: Lease;
    try {
      lease = await slaacLease(cands, raWatch, opts.dhcpTimeoutMs);
    } finally {
      raWatch.stop();
    }
    if (lease.dns.length === 0) warn(`${lease.iface}: the router advertisement names no DNS server (RDNSS, RFC 8106): host names cannot be looked up`);
    applyNames(lease);
    return unrenewed(lease);
  }

  const v6 = cfg.ip.mode === "dhcp6";
  const won = await raceDhcp(cands, deadline, opts, v6 ? dhcp6ClientFor(cfg.hostname) : dhcpClientFor(opts, cfg.hostname), v6 ? "DHCPv6" : "DHCP").finally(() => {
    for (const restore of restoreDad) restore();
  });
  const { client, iface } = won;
  try {
    applyLease(won.lease, iface.ifindex);
    applyNames(won.lease);
  } catch (err) {
    throw new BootError("network", `${iface.name}: cannot configure ${won.lease.address}/${won.lease.prefix}: ${describeError(err)}`, { cause: err });
  }
  info(describeLease(won.lease));
  if (v6) await settleIpv6(won.lease, deadline);
  let hostname = applyHostname(won.lease);

  const listeners = new Set<(e: LeaseEvent) => void>();
  const keeper = new LeaseKeeper({
    client,
    lease: won.lease,
    acquireTimeoutMs: opts.dhcpTimeoutMs,
    apply: (lease, previous) => {
      withDnsName(lease);
      applyLease(lease, ifaceOf(lease.iface).ifindex, previous);
      applyNames(lease);
      if (!cfg.hostname) hostname = applyHostname(lease, hostname);
    },
    emit: (e) => {
      for (const l of listeners) {
        try {
          l(e);
        } catch (err) {
          warn(`lease event listener failed: ${describeError(err)}`);
        }
      }
    },
  });
  keeper.start();
  const named = nameFromDns(won.lease, () => {
    // A renewal may have replaced the lease meanwhile: the name goes to the one in force.
    withDnsName(keeper.lease);
    if (!cfg.hostname) hostname = applyHostname(keeper.lease, hostname);
  });
  return {
    get lease() {
      return keeper.lease;
    },
    get hostname() {
      return hostname;
    },
    named,
    on(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    stop: () => keeper.stop(),
  };
}

/** A session without renewals (static ip=, ip=off); the host name may still come from reverse DNS. */
function fixedSession(lease: Lease | null, hostname: () => string | undefined, named: Promise<void> = Promise.resolve()): NetworkSession {
  return {
    lease,
    get hostname() {
      return hostname();
    },
    named,
    on: () => () => undefined,
    stop: () => Promise.resolve(),
  };
}
