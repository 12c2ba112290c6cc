// bringUpNetwork for real: the client runs in its own network namespace as a separate Node 24
// process (the bundled driver calls the same modules PID 1 does), dnsmasq serves DHCP from
// another namespace across a veth pair. Needs root, iproute2, dnsmasq-base and util-linux.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { Lease } from "./lease";
import { type Dnsmasq, startDnsmasq } from "../testing/net-dnsmasq";
import type { DriverLine } from "../testing/net-driver";
import { driverBundle, removeBundles, type ScriptedServer, startDriver, startScriptedServer, startScriptedServer6 } from "../testing/net-run";
import { createNetnsPair, ip, type NetnsPair } from "../testing/netns";

let pair: NetnsPair | undefined;
const servers: Dnsmasq[] = [];
const scripted: Pick<ScriptedServer, "stop">[] = [];
const tmp = mkdtempSync(join(tmpdir(), "tarboot-net-"));

beforeAll(async () => {
  await driverBundle();
}, 60_000);

afterEach(async () => {
  for (const s of servers.splice(0)) await s.stop();
  for (const s of scripted.splice(0)) await s.stop();
  pair?.destroy();
  pair = undefined;
});

afterAll(async () => {
  await removeBundles();
  rmSync(tmp, { recursive: true, force: true });
});

const SERVER = "10.77.0.1";
const RICH_OPTIONS = [
  `option:router,${SERVER}`,
  "option:dns-server,10.77.0.53,10.77.0.54",
  "option:domain-name,cluster.test",
  "option:domain-search,cluster.test,lab.cluster.test",
  "option:ntp-server,10.77.0.123",
  "option:log-server,10.77.0.7",
  // root=dhcp takes the layers from it.
  "option:root-path,http://10.77.0.1/base.tar.zst,http://10.77.0.1/%hostname.tar.gz",
  "option:mtu,1400",
  // dnsmasq's shortest lease is 2 minutes; short T1/T2 make renewal happen within the test.
  "option:T1,3",
  "option:T2,6",
];

async function dnsmasq(o: Parameters<typeof startDnsmasq>[0]): Promise<Dnsmasq> {
  // --no-ping: dnsmasq otherwise waits up to 3 s for an ICMP answer before each new offer.
  const d = await startDnsmasq({ ...o, extraArgs: ["--no-ping", ...(o.extraArgs ?? [])] });
  servers.push(d);
  return d;
}

const leaseOf = (l: DriverLine | undefined) => (l && l.kind === "lease" ? (l.lease as Lease | null) : undefined);
const events = (lines: DriverLine[]) => lines.flatMap((l) => (l.kind === "event" ? [l.event] : []));

function addresses(ns: string, dev: string): string[] {
  const info = JSON.parse(ip(["-j", "-4", "addr", "show", "dev", dev], ns)) as { addr_info: { local: string; prefixlen: number }[] }[];
  return info.flatMap((i) => i.addr_info.map((a) => `${a.local}/${a.prefixlen}`));
}

describe("bringUpNetwork against dnsmasq in a network namespace", () => {
  it("gets a lease with every option, configures the kernel, host name and resolver, and renews at T1", async () => {
    pair = createNetnsPair(SERVER);
    const link = pair.links[0];
    const server = await dnsmasq({ ns: pair.server, iface: link.serverIf, range: "10.77.0.100,10.77.0.149,255.255.255.0,2m", options: RICH_OPTIONS, hosts: [`${link.clientMac},node42`] });
    const resolv = join(tmp, "resolv-1.conf");
    const drv = await startDriver(pair.client, { cfg: {}, opts: { netWaitMs: 5000, dhcpTimeoutMs: 15000, resolvConf: resolv }, waitFor: ["renewed"] }, { unshareUts: true, timeoutMs: 30_000 });
    const run = await drv.done;
    expect(run.code, run.stderr).toBe(0);

    const first = run.lines.find((l) => l.kind === "lease")!;
    const lease = leaseOf(first)!;
    expect(lease).toMatchObject({
      source: "dhcp",
      iface: link.clientIf,
      mac: link.clientMac,
      prefix: 24,
      netmask: "255.255.255.0",
      broadcast: "10.77.0.255",
      gateway: SERVER,
      dns: ["10.77.0.53", "10.77.0.54"],
      domain: "cluster.test",
      search: ["cluster.test", "lab.cluster.test"],
      hostname: "node42",
      ntp: ["10.77.0.123"],
      logServers: ["10.77.0.7"],
      rootPath: "http://10.77.0.1/base.tar.zst,http://10.77.0.1/%hostname.tar.gz",
      mtu: 1400,
      serverId: SERVER,
      leaseTime: 120,
      renewalTime: 3,
      rebindTime: 6,
    });
    expect(lease.address).toMatch(/^10\.77\.0\.(1[0-4]\d)$/);
    expect(first.kind === "lease" && first.osHostname).toBe("node42");
    expect(run.stderr).toContain(`${link.clientIf}: ${lease.address}/24 via ${SERVER}, dns 10.77.0.53 10.77.0.54, mtu 1400, lease 120s from ${SERVER}`);

    // The kernel state, as iproute2 sees it.
    expect(addresses(pair.client, link.clientIf)).toEqual([`${lease.address}/24`]);
    expect(ip(["route", "show", "default"], pair.client)).toContain(`default via ${SERVER} dev ${link.clientIf} proto dhcp`);
    expect(ip(["link", "show", link.clientIf], pair.client)).toContain("mtu 1400");
    expect(ip(["link", "show", "lo"], pair.client)).toContain("UP");
    expect(readFileSync(resolv, "utf8")).toBe(
      `# written by tarboot from the DHCP lease on ${link.clientIf}\nsearch cluster.test lab.cluster.test\nnameserver 10.77.0.53\nnameserver 10.77.0.54\n`,
    );

    // Renewal: a unicast REQUEST at T1, acknowledged, same address, new start time.
    const renewed = events(run.lines).find((e) => e.type === "renewed")!;
    const again = renewed.lease as Lease;
    expect(again.address).toBe(lease.address);
    expect(again.boundAt! - lease.boundAt!).toBeGreaterThanOrEqual(2500);
    expect(server.log().match(/DHCPACK\(/g)).toHaveLength(2);
    // stop() left nothing behind: the process ended by itself right after reporting it.
    expect(run.lines[run.lines.length - 1]).toEqual({ kind: "stopped" });
  });

  it("rebinds with any server when the one that granted the lease stops answering unicast", async () => {
    pair = createNetnsPair(SERVER);
    const link = pair.links[0];
    const server = await dnsmasq({ ns: pair.server, iface: link.serverIf, range: "10.77.0.100,10.77.0.149,255.255.255.0,2m", options: [`option:router,${SERVER}`, "option:T1,3", "option:T2,6"] });
    const drv = await startDriver(pair.client, { cfg: {}, opts: { netWaitMs: 5000, dhcpTimeoutMs: 15000 }, waitFor: ["rebinding", "renewed"] }, { timeoutMs: 40_000 });
    await drv.waitForLine((l) => l.kind === "lease", 20_000);
    // Unicast to the server now goes to a MAC nobody has (a stale neighbour entry, as after a
    // server's NIC was swapped): RENEWs are lost, the broadcast REBIND still reaches it.
    ip(["neigh", "replace", SERVER, "lladdr", "02:00:00:00:00:ee", "dev", link.clientIf, "nud", "permanent"], pair.client);
    const run = await drv.done;
    expect(run.code, run.stderr).toBe(0);
    const evs = events(run.lines);
    expect(evs.map((e) => e.type)).toEqual(["rebinding", "renewed"]);
    expect((evs[1].lease as Lease).serverId).toBe(SERVER);
    expect(run.stderr).toMatch(/no answer to RENEW from 10\.77\.0\.1, rebinding/);
    expect(run.stderr).toMatch(/extended for 120s \(rebind\)/);
    // One ACK for the lease, one for the REBIND; the RENEWs never arrived.
    expect(server.log().match(/DHCPREQUEST\(/g)).toHaveLength(2);
    expect(server.log().match(/DHCPACK\(/g)).toHaveLength(2);
  });

  it("starts over after a NAK at renewal and moves to the new address", async () => {
    pair = createNetnsPair(SERVER);
    const link = pair.links[0];
    const first = await dnsmasq({ ns: pair.server, iface: link.serverIf, range: "10.77.0.100,10.77.0.149,255.255.255.0,2m", options: [`option:router,${SERVER}`, "option:T1,3", "option:T2,6"] });
    const drv = await startDriver(pair.client, { cfg: {}, opts: { netWaitMs: 5000, dhcpTimeoutMs: 15000 }, waitFor: ["nak", "bound"] }, { timeoutMs: 40_000 });
    const old = leaseOf(await drv.waitForLine((l) => l.kind === "lease", 20_000))!;
    // dnsmasq restarted with another range and no memory of the lease: authoritative, it refuses the RENEW.
    await first.stop();
    servers.splice(servers.indexOf(first), 1);
    const second = await dnsmasq({ ns: pair.server, iface: link.serverIf, range: "10.77.0.150,10.77.0.199,255.255.255.0,2m", options: [`option:router,${SERVER}`], authoritative: true });
    const run = await drv.done;
    expect(run.code, run.stderr).toBe(0);
    const evs = events(run.lines);
    expect(evs.map((e) => e.type)).toEqual(["nak", "bound"]);
    expect(evs[0]).toMatchObject({ server: SERVER, message: "address not available" });
    const fresh = evs[1].lease as Lease;
    expect(fresh.address).toMatch(/^10\.77\.0\.1[5-9]\d$/);
    expect((evs[1].previous as Lease).address).toBe(old.address);
    expect(second.log()).toMatch(/DHCPNAK\(.*address not available/);
    // The old address is gone, the new one and the default route are in place.
    expect(addresses(pair.client, link.clientIf)).toEqual([`${fresh.address}/24`]);
    expect(ip(["route", "show", "default"], pair.client)).toContain(`default via ${SERVER}`);
  });

  it("fails with a clear timeout when no server answers", async () => {
    pair = createNetnsPair(SERVER);
    const link = pair.links[0];
    const drv = await startDriver(pair.client, { cfg: {}, opts: { netWaitMs: 5000, dhcpTimeoutMs: 5000 } }, { timeoutMs: 20_000 });
    const run = await drv.done;
    expect(run.code).toBe(2);
    const err = run.lines.find((l) => l.kind === "error");
    expect(err).toMatchObject({ name: "BootError", stage: "network" });
    expect(err?.kind === "error" && err.message).toMatch(new RegExp(`^no DHCP offer on ${link.clientIf} after 5s \\([2-4] DISCOVERs sent\\)$`));
    // 5 s of DHCP plus Node's start-up, not a minute.
    expect(run.elapsedMs).toBeGreaterThanOrEqual(5000);
    expect(run.elapsedMs).toBeLessThan(12_000);
  });

  it("tries every interface at once and keeps the first lease", async () => {
    pair = createNetnsPair(SERVER);
    const silent = pair.links[0];
    const served = pair.addLink("10.78.0.1");
    await dnsmasq({ ns: pair.server, iface: served.serverIf, range: "10.78.0.100,10.78.0.149,255.255.255.0,2m", options: ["option:router,10.78.0.1"] });
    const drv = await startDriver(pair.client, { cfg: {}, opts: { netWaitMs: 5000, dhcpTimeoutMs: 15000 } }, { timeoutMs: 30_000 });
    const run = await drv.done;
    expect(run.code, run.stderr).toBe(0);
    const lease = leaseOf(run.lines.find((l) => l.kind === "lease"))!;
    expect(lease.iface).toBe(served.clientIf);
    expect(lease.address).toMatch(/^10\.78\.0\./);
    expect(addresses(pair.client, silent.clientIf)).toEqual([]);
    expect(ip(["link", "show", silent.clientIf], pair.client)).toContain("UP");
  });

  it("installs option 121's routes, on-link ones too, and takes its default route over option 3", async () => {
    pair = createNetnsPair(SERVER);
    const link = pair.links[0];
    await dnsmasq({
      ns: pair.server,
      iface: link.serverIf,
      range: "10.77.0.100,10.77.0.149,255.255.255.0,2m",
      // RFC 3442: with classless routes the router option (10.77.0.99 here) is to be ignored.
      options: ["option:router,10.77.0.99", "option:classless-static-route,10.88.0.0/16,10.77.0.254,10.99.0.0/24,0.0.0.0,0.0.0.0/0,10.77.0.1"],
    });
    const drv = await startDriver(pair.client, { cfg: {}, opts: { netWaitMs: 5000, dhcpTimeoutMs: 15000, resolvConf: join(tmp, "resolv-121.conf") } }, { timeoutMs: 30_000 });
    const run = await drv.done;
    expect(run.code, run.stderr).toBe(0);
    const lease = leaseOf(run.lines.find((l) => l.kind === "lease"))!;
    expect(lease).toMatchObject({
      gateway: SERVER,
      routes: [
        { dst: "10.88.0.0", prefix: 16, gateway: "10.77.0.254" },
        { dst: "10.99.0.0", prefix: 24, gateway: "0.0.0.0" },
      ],
    });
    expect(run.stderr).toContain(`${link.clientIf}: ${lease.address}/24 via ${SERVER}, routes 10.88.0.0/16 via 10.77.0.254, 10.99.0.0/24 on-link, lease 120s`);
    const routes = ip(["route", "show"], pair.client);
    expect(routes).toContain(`default via ${SERVER} dev ${link.clientIf} proto dhcp`);
    expect(routes).toContain(`10.88.0.0/16 via 10.77.0.254 dev ${link.clientIf} proto dhcp`);
    expect(routes).toContain(`10.99.0.0/24 dev ${link.clientIf} proto dhcp scope link`);
    expect(routes).not.toContain("10.77.0.99");
  });

  it("uses only the interface BOOTIF names, and says what it saw when that one never appears", async () => {
    pair = createNetnsPair(SERVER);
    const link = pair.links[0];
    const drv = await startDriver(pair.client, { cfg: { bootif: "02:00:00:00:00:99" }, opts: { netWaitMs: 1000, dhcpTimeoutMs: 5000 } }, { timeoutMs: 20_000 });
    const run = await drv.done;
    expect(run.code).toBe(2);
    const err = run.lines.find((l) => l.kind === "error");
    expect(err?.kind === "error" && err.message).toBe(
      `the interface with MAC 02:00:00:00:00:99 (from BOOTIF=) did not appear within 1s; present: lo (00:00:00:00:00:00, type 772), ${link.clientIf} (${link.clientMac}, type 1) (is the NIC driver in the initramfs? see tarboot.netwait=)`,
    );
    expect(run.elapsedMs).toBeLessThan(8000);
  });

  it("vlan=: names a parent that never appears, and makes the VLAN on one that does (or says the kernel cannot)", async () => {
    pair = createNetnsPair(SERVER);
    const link = pair.links[0];
    const missing = await startDriver(pair.client, { cfg: { vlan: { name: "nosuch.7", id: 7, parent: "nosuch" } }, opts: { netWaitMs: 1000, dhcpTimeoutMs: 2000 } }, { timeoutMs: 20_000 });
    const m = await missing.done;
    expect(m.code).toBe(2);
    expect(m.lines.find((l) => l.kind === "error")).toMatchObject({
      stage: "network",
      message: `vlan=nosuch.7:nosuch: the parent interface nosuch did not appear within 1s; present: lo (00:00:00:00:00:00, type 772), ${link.clientIf} (${link.clientMac}, type 1) (is its NIC driver in the initramfs? see tarboot.netwait=)`,
    });

    // The host kernel may lack 802.1Q (this one does: no 8021q module); then the refusal is named.
    const vlanIf = `${link.clientIf}.7`.slice(-15);
    const drv = await startDriver(pair.client, { cfg: { vlan: { name: vlanIf, id: 7, parent: link.clientIf } }, opts: { netWaitMs: 1000, dhcpTimeoutMs: 2000 } }, { timeoutMs: 20_000 });
    const run = await drv.done;
    expect(run.code).toBe(2);
    const err = run.lines.find((l) => l.kind === "error");
    const made = ip(["-d", "link", "show"], pair.client);
    if (made.includes(`${vlanIf}@${link.clientIf}`)) {
      expect(made).toMatch(/vlan protocol 802\.1Q id 7 /);
      expect(err?.kind === "error" && err.message).toMatch(new RegExp(`^no DHCP offer on ${vlanIf.replace(/\./g, "\\.")} after 2s`));
    } else {
      expect(err?.kind === "error" && err.message).toBe(`vlan=${vlanIf}:${link.clientIf}: cannot make VLAN 7 on ${link.clientIf}: the kernel has no 802.1Q support (8021q is not loaded)`);
    }
  });

  it("bond=: names slaves that never appear, bonds the ones that do (or says the kernel has no bonding driver)", async () => {
    pair = createNetnsPair(SERVER);
    const link = pair.links[0];
    const none = { name: "bond0", slaves: ["nosuch0", "nosuch1"], options: [] };
    const missing = await startDriver(pair.client, { cfg: { bond: none }, opts: { netWaitMs: 1000, dhcpTimeoutMs: 2000 } }, { timeoutMs: 20_000 });
    const m = await missing.done;
    expect(m.code).toBe(2);
    expect(m.lines.find((l) => l.kind === "error")).toMatchObject({
      stage: "network",
      message: `bond=bond0:nosuch0,nosuch1: none of the slaves nosuch0, nosuch1 appeared within 1s; present: lo (00:00:00:00:00:00, type 772), ${link.clientIf} (${link.clientMac}, type 1) (is their NIC driver in the initramfs? see tarboot.netwait=)`,
    });

    // One slave there, one not: the bond is made of the one after the grace time, said loudly. The
    // host kernel may lack the bonding driver (this one does); then that is what the error names.
    const half = { name: "bond0", slaves: [link.clientIf, "nosuch1"], options: [{ name: "mode", value: "active-backup" }] };
    const param = `bond=bond0:${link.clientIf},nosuch1:mode=active-backup`;
    const drv = await startDriver(pair.client, { cfg: { bond: half }, opts: { netWaitMs: 10_000, dhcpTimeoutMs: 2000 } }, { timeoutMs: 30_000 });
    const run = await drv.done;
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`${param}: nosuch1 did not appear; the bond is made of ${link.clientIf} alone (present: `);
    const err = run.lines.find((l) => l.kind === "error");
    if (ip(["-d", "link", "show"], pair.client).includes("bond0:")) {
      expect(err?.kind === "error" && err.message).toMatch(/^no DHCP offer on bond0 after 2s/);
    } else {
      expect(err?.kind === "error" && err.message).toBe(`${param}: the kernel has no bonding driver (the bonding module is not loaded)`);
      // Not the 10 s of tarboot.netwait=: the other slave's driver had its chance with the first's.
      expect(run.elapsedMs).toBeLessThan(8000);
    }
  });

  it("bridge=: a lease on a bridge of two NICs, which has BOOTIF='s MAC (the DHCP server's reservation) and forwards from the start", async () => {
    pair = createNetnsPair(SERVER);
    const [first] = pair.links;
    const second = pair.addLink();
    // The server answers on the first NIC's cable only; the reservation is for the second NIC's MAC.
    await dnsmasq({ ns: pair.server, iface: first.serverIf, range: "10.77.0.100,10.77.0.149,255.255.255.0,2m", hosts: [`${second.clientMac},10.77.0.142,vmhost1`] });
    const bridge = { name: "br0", ports: [first.clientIf, second.clientIf] };
    const bootif = second.clientMac;
    const drv = await startDriver(pair.client, { cfg: { bridge, bootif }, opts: { netWaitMs: 5000, dhcpTimeoutMs: 15_000 } }, { unshareUts: true, timeoutMs: 30_000 });
    const run = await drv.done;
    expect(run.code, run.stderr).toBe(0);
    expect(leaseOf(run.lines.find((l) => l.kind === "lease"))).toMatchObject({ iface: "br0", address: "10.77.0.142", mac: second.clientMac, hostname: "vmhost1" });
    expect(run.stderr).toContain(`br0: bridge of ${second.clientIf}, ${first.clientIf} (MAC ${second.clientMac})`);
    expect(addresses(pair.client, "br0")).toEqual(["10.77.0.142/24"]);
    const ports = JSON.parse(ip(["-j", "link", "show", "master", "br0"], pair.client)) as { ifname: string; operstate: string }[];
    expect(ports.map((p) => p.ifname).sort()).toEqual([first.clientIf, second.clientIf].sort());
    // Set, not inherited: the kernel keeps this MAC when a port with a lower one joins later.
    expect(JSON.parse(ip(["-j", "link", "show", "br0"], pair.client))[0]).toMatchObject({ address: second.clientMac });
    expect(execFileSync("ip", ["netns", "exec", pair.client, "cat", "/sys/class/net/br0/addr_assign_type"], { encoding: "utf8" }).trim()).toBe("3"); // NET_ADDR_SET
  });

  it("bridge=: a BOOTIF= that none of the ports has is said, and the bridge takes its first port's MAC", async () => {
    pair = createNetnsPair(SERVER);
    const link = pair.links[0];
    const bridge = { name: "br0", ports: [link.clientIf] };
    const drv = await startDriver(pair.client, { cfg: { bridge, bootif: "52:54:00:99:99:99" }, opts: { netWaitMs: 2000, dhcpTimeoutMs: 1000 } }, { timeoutMs: 20_000 });
    const run = await drv.done;
    expect(run.code).toBe(2); // no DHCP server on this link
    expect(run.stderr).toContain(`bridge=br0:${link.clientIf}: BOOTIF= names 52:54:00:99:99:99, which none of the ports has: the bridge takes ${link.clientIf}'s MAC`);
    expect(JSON.parse(ip(["-j", "link", "show", "br0"], pair.client))[0]).toMatchObject({ address: link.clientMac });
  });

  it("bridge=: names ports that never appear", async () => {
    pair = createNetnsPair(SERVER);
    const link = pair.links[0];
    const drv = await startDriver(pair.client, { cfg: { bridge: { name: "br0", ports: ["nosuch0"] } }, opts: { netWaitMs: 1000, dhcpTimeoutMs: 2000 } }, { timeoutMs: 20_000 });
    const run = await drv.done;
    expect(run.code).toBe(2);
    expect(run.lines.find((l) => l.kind === "error")).toMatchObject({
      stage: "network",
      message: `bridge=br0:nosuch0: none of the ports nosuch0 appeared within 1s; present: lo (00:00:00:00:00:00, type 772), ${link.clientIf} (${link.clientMac}, type 1) (is their NIC driver in the initramfs? see tarboot.netwait=)`,
    });
  });

  it("ip=dhcp6: an address from DHCPv6 with DNS, search list, NTP and the host name, routes from dnsmasq's router advertisement", async () => {
    pair = createNetnsPair(SERVER);
    const link = pair.links[0];
    ip(["addr", "add", "fd77::1/64", "dev", link.serverIf], pair.server);
    await dnsmasq({
      ns: pair.server,
      iface: link.serverIf,
      range: "fd77::100,fd77::1ff,64,1h",
      options: ["option6:dns-server,[fd77::53]", "option6:domain-search,cluster.test,lab.cluster.test", "option6:ntp-server,[fd77::123]"],
      // By the client's DUID (DUID-LL: type 3, Ethernet, the MAC): dnsmasq finds a DHCPv6 client's MAC only sometimes.
      hosts: [`id:00:03:00:01:${link.clientMac},[fd77::142],node61`],
      extraArgs: ["--enable-ra"],
    });
    const resolv = join(tmp, "resolv-6.conf");
    const drv = await startDriver(pair.client, { cfg: { ip: { mode: "dhcp6" } }, opts: { netWaitMs: 10000, dhcpTimeoutMs: 15000, resolvConf: resolv } }, { unshareUts: true, timeoutMs: 40_000 });
    const run = await drv.done;
    expect(run.code, run.stderr).toBe(0);
    const first = run.lines.find((l) => l.kind === "lease")!;
    const lease = leaseOf(first)!;
    expect(lease).toMatchObject({
      source: "dhcp6",
      iface: link.clientIf,
      mac: link.clientMac,
      address: "fd77::142",
      prefix: 128,
      dns: ["fd77::53"],
      search: ["cluster.test", "lab.cluster.test"],
      hostname: "node61",
      ntp: ["fd77::123"],
      leaseTime: 3600,
    });
    // The server's address on the link: dnsmasq answers from its link-local or its fd77::1.
    expect(lease.serverId).toMatch(/^(fe80::[0-9a-f:]+|fd77::1)$/);
    expect(lease.serverDuid).toMatch(/^[0-9a-f]+$/);
    expect(first.kind === "lease" && first.osHostname).toBe("node61");
    expect(run.stderr).toContain(`${link.clientIf}: asking for a DHCPv6 lease (MAC ${link.clientMac})`);
    expect(run.stderr).toContain(`${link.clientIf}: fd77::142/128, dns fd77::53, lease 3600s from ${lease.serverId} (DHCPv6)`);
    expect(run.stderr).not.toContain("no IPv6 default route");
    // The kernel's state: our address (DAD passed), the router's routes.
    const addrs = JSON.parse(ip(["-j", "-6", "addr", "show", "dev", link.clientIf], pair.client))[0].addr_info as { local: string; prefixlen: number; tentative?: boolean }[];
    expect(addrs.find((a) => a.local === "fd77::142")).toMatchObject({ prefixlen: 128 });
    expect(addrs.find((a) => a.local === "fd77::142")?.tentative).toBeUndefined();
    expect(ip(["-6", "route", "show", "default"], pair.client)).toContain(`dev ${link.clientIf} proto ra`);
    expect(ip(["-6", "route", "get", "fd77::1"], pair.client)).toContain("src fd77::142");
    expect(readFileSync(resolv, "utf8")).toBe(
      `# written by tarboot from the DHCPv6 lease on ${link.clientIf}\nsearch cluster.test lab.cluster.test\nnameserver fd77::53\n`,
    );
    expect(servers[0].log()).toMatch(/DHCPREPLY\(\S+\) fd77::142 \S+ node61/);
    // Optimistic DAD was for our SOLICIT only: the booted system finds the kernel's default.
    expect(execFileSync("ip", ["netns", "exec", pair.client, "cat", `/proc/sys/net/ipv6/conf/${link.clientIf}/optimistic_dad`], { encoding: "utf8" }).trim()).toBe("0");
  });

  it("ip=auto6: the kernel's SLAAC address, with the DNS servers and search list of dnsmasq's router advertisement", async () => {
    pair = createNetnsPair(SERVER);
    const link = pair.links[0];
    ip(["addr", "add", "fd79::1/64", "dev", link.serverIf], pair.server);
    await dnsmasq({
      ns: pair.server,
      iface: link.serverIf,
      range: "fd79::,ra-only,64",
      options: ["option6:dns-server,[fd79::53]", "option6:domain-search,ra.test"],
      extraArgs: ["--enable-ra"],
    });
    const resolv = join(tmp, "resolv-auto6.conf");
    const drv = await startDriver(pair.client, { cfg: { ip: { mode: "auto6" } }, opts: { netWaitMs: 10000, dhcpTimeoutMs: 20000, resolvConf: resolv } }, { timeoutMs: 40_000 });
    const run = await drv.done;
    expect(run.code, run.stderr).toBe(0);
    const lease = leaseOf(run.lines.find((l) => l.kind === "lease"))!;
    expect(lease).toMatchObject({ source: "auto6", iface: link.clientIf, prefix: 64, dns: ["fd79::53"], search: ["ra.test"] });
    // EUI-64 from the MAC: what the kernel made, not anything tarboot chose.
    const eui = link.clientMac.split(":").map((h) => parseInt(h, 16));
    eui[0] ^= 2;
    const hex = (a: number, b: number) => ((a << 8) | b).toString(16);
    expect(lease.address).toBe(`fd79::${hex(eui[0], eui[1])}:${hex(eui[2], 0xff)}:${hex(0xfe, eui[3])}:${hex(eui[4], eui[5])}`);
    expect(lease.serverId).toMatch(/^fe80::/);
    expect(run.stderr).toContain(`${link.clientIf}: ${lease.address}/64, dns fd79::53 (SLAAC, router ${lease.serverId})`);
    expect(readFileSync(resolv, "utf8")).toBe(`# written by tarboot from the router advertisement on ${link.clientIf}\nsearch ra.test\nnameserver fd79::53\n`);
  });

  it("ip=dhcp6 and ip=auto6 on a link with neither DHCPv6 server nor router: a clear error each, in bounded time", async () => {
    pair = createNetnsPair(SERVER);
    const link = pair.links[0];
    const dhcp6 = await (await startDriver(pair.client, { cfg: { ip: { mode: "dhcp6" } }, opts: { netWaitMs: 3000, dhcpTimeoutMs: 3000 } }, { timeoutMs: 20_000 })).done;
    expect(dhcp6.code).toBe(2);
    expect(dhcp6.lines.find((l) => l.kind === "error")).toMatchObject({ stage: "network" });
    const err6 = dhcp6.lines.find((l) => l.kind === "error");
    expect(err6?.kind === "error" && err6.message).toMatch(new RegExp(`^no DHCPv6 server answered on ${link.clientIf} after 3s \\([2-4] SOLICITs sent\\)$`));
    expect(dhcp6.elapsedMs).toBeLessThan(10_000);
    const auto6 = await (await startDriver(pair.client, { cfg: { ip: { mode: "auto6" } }, opts: { netWaitMs: 3000, dhcpTimeoutMs: 3000 } }, { timeoutMs: 20_000 })).done;
    expect(auto6.code).toBe(2);
    const errA = auto6.lines.find((l) => l.kind === "error");
    expect(errA?.kind === "error" && errA.message).toBe(
      `no IPv6 address from a router advertisement on ${link.clientIf} after 3s (no router, or its prefix is not for SLAAC: with the M flag, DHCPv6 gives the address: ip=dhcp6)`,
    );
  });

  it("ip=dhcp6: declines an address another host holds (duplicate address detection) and takes the next one", async () => {
    pair = createNetnsPair(SERVER);
    const link = pair.links[0];
    // The server's side of the link already has fd78::9: the client's DAD for it gets an answer.
    ip(["addr", "add", "fd78::1/64", "dev", link.serverIf], pair.server);
    ip(["addr", "add", "fd78::9/128", "dev", link.serverIf], pair.server);
    const server = await startScriptedServer6(pair.server, { iface: link.serverIf, addresses: ["fd78::9", "fd78::10"], t1: 600, t2: 900, valid: 1200 });
    scripted.push(server);
    const run = await (await startDriver(pair.client, { cfg: { ip: { mode: "dhcp6" } }, opts: { netWaitMs: 2000, dhcpTimeoutMs: 20000 } }, { timeoutMs: 40_000 })).done;
    expect(run.code, run.stderr).toBe(0);
    expect(leaseOf(run.lines.find((l) => l.kind === "lease"))?.address).toBe("fd78::10");
    expect(run.stderr).toMatch(new RegExp(`${link.clientIf}: fd78::9 from \\S+ is already in use by another host \\(duplicate address detection\\); declined, asking again in 2s`));
    expect(server.saw.find((m) => m.type === 9)).toMatchObject({ serverId: true });
    // The declined address is gone from the interface; the new one is there.
    const addrs = (JSON.parse(ip(["-j", "-6", "addr", "show", "dev", link.clientIf], pair.client))[0].addr_info as { local: string }[]).map((a) => a.local);
    expect(addrs).toContain("fd78::10");
    expect(addrs).not.toContain("fd78::9");
  });

  it("ip=dhcp6: a RENEW that moves the node to an address another host holds is declined, and a new lease sought", async () => {
    pair = createNetnsPair(SERVER);
    const link = pair.links[0];
    ip(["addr", "add", "fd78::1/64", "dev", link.serverIf], pair.server);
    // The address the renewal moves the node to is the server side's own: DAD fails for it.
    ip(["addr", "add", "fd78::a/128", "dev", link.serverIf], pair.server);
    const server = await startScriptedServer6(pair.server, { iface: link.serverIf, addresses: ["fd78::9", "fd78::a", "fd78::b"], t1: 2, t2: 4, valid: 60, moveOnRenew: true });
    scripted.push(server);
    const drv = await startDriver(pair.client, { cfg: { ip: { mode: "dhcp6" } }, opts: { netWaitMs: 3000, dhcpTimeoutMs: 20000 }, waitFor: ["declined", "bound"] }, { timeoutMs: 40_000 });
    const run = await drv.done;
    expect(run.code, run.stderr).toBe(0);
    const evs = events(run.lines);
    expect(evs.map((e) => e.type)).toEqual(["declined", "bound"]);
    expect(evs[0]).toMatchObject({ address: "fd78::a", lease: { address: "fd78::9" } });
    expect(evs[1]).toMatchObject({ lease: { address: "fd78::b" } });
    expect(run.stderr).toMatch(new RegExp(`${link.clientIf}: \\S+ moved us from fd78::9 to fd78::a, which another host \\(duplicate address detection\\) holds; declined, asking for a new lease`));
    // RENEW, then the DECLINE for the address it gave, then a new SOLICIT.
    const types = server.saw.map((m) => m.type);
    expect(types.indexOf(9)).toBeGreaterThan(types.indexOf(5));
    expect(types.lastIndexOf(1)).toBeGreaterThan(types.indexOf(9));
    const addrs = (JSON.parse(ip(["-j", "-6", "addr", "show", "dev", link.clientIf], pair.client))[0].addr_info as { local: string }[]).map((a) => a.local);
    expect(addrs).toContain("fd78::b");
    expect(addrs).not.toContain("fd78::a");
    expect(addrs).not.toContain("fd78::9");
  });

  it("ip=dhcp6: hears every server for the first second and takes the most preferred, not the fastest", async () => {
    pair = createNetnsPair(SERVER);
    const link = pair.links[0];
    ip(["addr", "add", "fd78::1/64", "dev", link.serverIf], pair.server);
    // The servers answer from their link-local address, made once the link has carrier (the
    // client's end up) and usable after its own DAD: until then ADVERTISEs are lost, and the window
    // would be over before any arrives. (On a real switch the server's address is long there.)
    ip(["link", "set", link.clientIf, "up"], pair.client);
    const serverLinkLocal = () => ip(["-6", "addr", "show", "dev", link.serverIf, "scope", "link"], pair!.server);
    for (let i = 0; i < 50 && (!serverLinkLocal().includes("fe80") || serverLinkLocal().includes("tentative")); i++) await new Promise((r) => setTimeout(r, 100));
    const common = { iface: link.serverIf, t1: 600, t2: 900, valid: 1200 };
    // A fast server without a preference, a slower one that prefers itself.
    const fast = await startScriptedServer6(pair.server, { ...common, addresses: ["fd78::a"], serverMac: "02:00:00:00:00:0a" });
    scripted.push(fast);
    const slow = await startScriptedServer6(pair.server, { ...common, addresses: ["fd78::b"], serverMac: "02:00:00:00:00:0b", preference: 100, advertiseDelayMs: 300 });
    scripted.push(slow);
    const run = await (await startDriver(pair.client, { cfg: { ip: { mode: "dhcp6" } }, opts: { netWaitMs: 2000, dhcpTimeoutMs: 20000 } }, { timeoutMs: 40_000 })).done;
    expect(run.code, run.stderr).toBe(0);
    expect(leaseOf(run.lines.find((l) => l.kind === "lease"))?.address, JSON.stringify({ fast: fast.saw, slow: slow.saw })).toBe("fd78::b");
    // Both answered the first SOLICIT, and the fast one first.
    expect(fast.saw[0]).toMatchObject({ type: 1, answered: true });
    expect(slow.saw[0]).toMatchObject({ type: 1, answered: true });
    // The REQUEST named the slow server, so only it answered.
    expect(slow.saw.find((m) => m.type === 3)).toMatchObject({ serverId: true, answered: true });
    expect(fast.saw.find((m) => m.type === 3)).toMatchObject({ serverId: true, answered: false });

    // Preference 255 is taken at once: no second of waiting.
    await Promise.all([fast.stop(), slow.stop()]);
    scripted.length = 0;
    const eager = await startScriptedServer6(pair.server, { ...common, addresses: ["fd78::c"], preference: 255 });
    scripted.push(eager);
    const again = await (await startDriver(pair.client, { cfg: { ip: { mode: "dhcp6" } }, opts: { netWaitMs: 2000, dhcpTimeoutMs: 20000 } }, { timeoutMs: 40_000 })).done;
    expect(again.code, again.stderr).toBe(0);
    expect(leaseOf(again.lines.find((l) => l.kind === "lease"))?.address).toBe("fd78::c");
    const solicit = eager.saw.find((m) => m.type === 1)!.at;
    const request = eager.saw.find((m) => m.type === 3)!.at;
    expect(request - solicit).toBeLessThan(800);
  });

  it("ip=dhcp6: RENEWs at T1 with the server's DUID, and REBINDs with any server at T2 when the renewal goes unanswered", async () => {
    for (const ignoreRenew of [false, true]) {
      pair = createNetnsPair(SERVER);
      const link = pair.links[0];
      ip(["addr", "add", "fd78::1/64", "dev", link.serverIf], pair.server);
      const server = await startScriptedServer6(pair.server, { iface: link.serverIf, addresses: ["fd78::9"], t1: 2, t2: 4, valid: 60, ignoreRenew });
      scripted.push(server);
      const drv = await startDriver(pair.client, { cfg: { ip: { mode: "dhcp6" } }, opts: { netWaitMs: 3000, dhcpTimeoutMs: 15000 }, waitFor: ["renewed"] }, { timeoutMs: 40_000 });
      const run = await drv.done;
      expect(run.code, run.stderr).toBe(0);
      // No router here: the address is configured, and the console says what is missing.
      expect(run.stderr).toContain(`${link.clientIf}: no IPv6 default route (no router advertisement on the link)`);
      const renewed = events(run.lines).find((e) => e.type === "renewed")!;
      expect(renewed).toMatchObject({ lease: { address: "fd78::9", renewalTime: 2, rebindTime: 4, leaseTime: 60 } });
      const types = server.saw.map((m) => [m.type, m.serverId]);
      // SOLICIT without a server, REQUEST with it; then RENEW with it, REBIND without.
      expect(types[0]).toEqual([1, false]);
      // (A SOLICIT may be sent again while the client's link-local address is being resolved.)
      expect(types.filter(([t]) => t !== 1).slice(0, 2)).toEqual([[3, true], [5, true]]);
      // Answered RENEW: no REBIND; ignored: REBIND at T2, answered.
      if (ignoreRenew) expect(server.saw.find((m) => m.type === 6)).toMatchObject({ serverId: false, answered: true });
      else expect(types.some(([t]) => t === 6)).toBe(false);
      const bound = server.saw.find((m) => m.type === 3)!.at;
      const ext = server.saw.find((m) => m.type === 5)!.at;
      expect(ext - bound).toBeGreaterThanOrEqual(1500);
      expect(ext - bound).toBeLessThan(4000);
      pair.destroy();
      pair = undefined;
      await server.stop();
      scripted.splice(scripted.indexOf(server), 1);
    }
  });

  it("names the node from reverse DNS when neither DHCP nor the command line does", async () => {
    pair = createNetnsPair(SERVER);
    const link = pair.links[0];
    // dnsmasq as the site's DNS too: the reserved address has a name in the zone, not in DHCP.
    const server = await dnsmasq({
      ns: pair.server,
      iface: link.serverIf,
      range: "10.77.0.100,10.77.0.149,255.255.255.0,2m",
      options: [`option:router,${SERVER}`, `option:dns-server,${SERVER}`],
      hosts: [`${link.clientMac},10.77.0.120`],
      dnsPort: 53,
      extraArgs: ["--host-record=node77.cluster.test,10.77.0.120"],
    });
    const drv = await startDriver(pair.client, { cfg: {}, opts: { netWaitMs: 5000, dhcpTimeoutMs: 15000 } }, { unshareUts: true, timeoutMs: 30_000 });
    const run = await drv.done;
    expect(run.code, run.stderr).toBe(0);
    const line = run.lines.find((l) => l.kind === "lease");
    expect(leaseOf(line)).toMatchObject({ address: "10.77.0.120", hostname: "node77", domain: "cluster.test", hostnameFromDns: true });
    expect(line?.kind === "lease" && line.osHostname).toBe("node77");
    expect(run.stderr).toContain("hostname node77 (from reverse DNS of 10.77.0.120)");
    expect(server.log()).toMatch(/query\[PTR\] 120\.0\.77\.10\.in-addr\.arpa/);
  });

  it("applies a static ip= without any DHCP", async () => {
    pair = createNetnsPair(SERVER);
    const link = pair.links[0];
    const resolv = join(tmp, "resolv-static.conf");
    const drv = await startDriver(
      pair.client,
      {
        cfg: { ip: { mode: "static", client: "10.77.0.9", gateway: SERVER, netmask: "255.255.255.0", hostname: "static9.lab.test", device: link.clientIf, dns: ["10.77.0.53"] } },
        opts: { netWaitMs: 5000, dhcpTimeoutMs: 5000, resolvConf: resolv },
      },
      { unshareUts: true, timeoutMs: 20_000 },
    );
    const run = await drv.done;
    expect(run.code, run.stderr).toBe(0);
    const line = run.lines.find((l) => l.kind === "lease");
    expect(leaseOf(line)).toMatchObject({ source: "static", address: "10.77.0.9", prefix: 24, gateway: SERVER, hostname: "static9", domain: "lab.test" });
    expect(line?.kind === "lease" && line.osHostname).toBe("static9");
    expect(addresses(pair.client, link.clientIf)).toEqual(["10.77.0.9/24"]);
    // "proto boot" is what iproute2 leaves unsaid.
    expect(ip(["route", "show", "default"], pair.client).trim()).toBe(`default via ${SERVER} dev ${link.clientIf}`);
    expect(readFileSync(resolv, "utf8")).toContain("search lab.test\nnameserver 10.77.0.53\n");
    // It is really reachable: the server namespace can ping it (busybox-static).
    expect(() => ip(["netns", "exec", pair!.server, "busybox", "ping", "-c", "1", "-W", "2", "10.77.0.9"])).not.toThrow();
  });

  it("applies a static IPv6 ip= once duplicate address detection passes, with a link-local router; refuses an address another host holds", async () => {
    pair = createNetnsPair(SERVER);
    const link = pair.links[0];
    // The router's side: its link-local address as the gateway (as router advertisements name it), and one global address of its own.
    ip(["addr", "add", "fe80::1/64", "dev", link.serverIf, "nodad"], pair.server);
    ip(["addr", "add", "fd77::1/64", "dev", link.serverIf, "nodad"], pair.server);
    const resolv = join(tmp, "resolv-static6.conf");
    const ip6 = { mode: "static" as const, family: 6 as const, client: "fd77::9", gateway: "fe80::1", netmask: "64", hostname: "static6", device: link.clientIf, dns: ["fd77::53"] };
    const drv = await startDriver(pair.client, { cfg: { ip: ip6 }, opts: { netWaitMs: 5000, dhcpTimeoutMs: 5000, resolvConf: resolv } }, { unshareUts: true, timeoutMs: 20_000 });
    const run = await drv.done;
    expect(run.code, run.stderr).toBe(0);
    expect(leaseOf(run.lines.find((l) => l.kind === "lease"))).toMatchObject({ source: "static", address: "fd77::9", prefix: 64, gateway: "fe80::1", netmask: "" });
    expect(run.stderr).toContain(`${link.clientIf}: fd77::9/64 via fe80::1, dns fd77::53 (static, ip=)`);
    const global6 = (JSON.parse(ip(["-j", "-6", "addr", "show", "dev", link.clientIf, "scope", "global"], pair.client))[0].addr_info as { local?: string; tentative?: boolean }[]).filter((a) => a.local);
    // Usable by the time the network stage ends: duplicate address detection is over.
    expect(global6).toEqual([expect.objectContaining({ local: "fd77::9", prefixlen: 64 })]);
    expect(global6[0].tentative).toBeUndefined();
    expect(ip(["-6", "route", "show", "default"], pair.client)).toMatch(new RegExp(`^default via fe80::1 dev ${link.clientIf} `));
    expect(readFileSync(resolv, "utf8")).toContain("nameserver fd77::53\n");
    expect(() => ip(["netns", "exec", pair!.server, "busybox", "ping", "-6", "-c", "1", "-W", "2", "fd77::9"])).not.toThrow();

    // The router's own address, written into ip= by mistake: the kernel's DAD finds it, the boot stops.
    const taken = await startDriver(pair.client, { cfg: { ip: { ...ip6, client: "fd77::1" } }, opts: { netWaitMs: 5000, dhcpTimeoutMs: 5000 } }, { timeoutMs: 20_000 });
    const refused = await taken.done;
    expect(refused.code).toBe(2);
    expect(refused.lines.find((l) => l.kind === "error")).toMatchObject({
      stage: "network",
      message: `${link.clientIf}: fd77::1 (from ip=) is already in use by another host (duplicate address detection); not using it`,
    });
  });

  it("declines an acknowledged address another host answers ARP for, waits, and takes the next one", async () => {
    pair = createNetnsPair(SERVER);
    const link = pair.links[0];
    // The server's side of the link also holds .100, which dnsmasq reserves for this client: the
    // server's kernel answers the client's ARP probes for it, as a misconfigured host would.
    ip(["addr", "add", "10.77.0.100/24", "dev", link.serverIf], pair.server);
    const server = await dnsmasq({
      ns: pair.server,
      iface: link.serverIf,
      range: "10.77.0.101,10.77.0.101,255.255.255.0,2m",
      options: [`option:router,${SERVER}`],
      hosts: [`${link.clientMac},10.77.0.100`],
    });
    const drv = await startDriver(pair.client, { cfg: {}, opts: { netWaitMs: 5000, dhcpTimeoutMs: 30000, arpCheckMs: 300 } }, { timeoutMs: 45_000 });
    const run = await drv.done;
    expect(run.code, run.stderr).toBe(0);
    const serverMac = JSON.parse(ip(["-j", "link", "show", link.serverIf], pair.server))[0].address as string;
    expect(run.stderr).toContain(`${link.clientIf}: 10.77.0.100 from ${SERVER} is already in use by ${serverMac} (it answered ARP); declined, asking again in 10s`);
    expect(server.log()).toMatch(new RegExp(`DHCPDECLINE\\(${link.serverIf}\\) 10\\.77\\.0\\.100 ${link.clientMac}`));
    // The server offered another address, the probes for it went unanswered, and it was taken.
    expect(leaseOf(run.lines.find((l) => l.kind === "lease"))?.address).toBe("10.77.0.101");
    expect(addresses(pair.client, link.clientIf)).toEqual(["10.77.0.101/24"]);
    // RFC 2131's ten seconds between the DECLINE and the new DISCOVER.
    expect(run.elapsedMs).toBeGreaterThanOrEqual(10_000);
  });

  it("refuses a static ip= address another host answers ARP for, naming it", async () => {
    pair = createNetnsPair(SERVER);
    const link = pair.links[0];
    const drv = await startDriver(
      pair.client,
      { cfg: { ip: { mode: "static", client: SERVER, netmask: "255.255.255.0", device: link.clientIf, dns: [] } }, opts: { netWaitMs: 5000, dhcpTimeoutMs: 5000, arpCheckMs: 300 } },
      { timeoutMs: 20_000 },
    );
    const run = await drv.done;
    expect(run.code).toBe(2);
    const serverMac = JSON.parse(ip(["-j", "link", "show", link.serverIf], pair.server))[0].address as string;
    const err = run.lines.find((l) => l.kind === "error");
    expect(err).toMatchObject({ name: "BootError", stage: "network" });
    expect(err?.kind === "error" && err.message).toBe(`${link.clientIf}: ${SERVER} (from ip=) is already in use by ${serverMac} (it answered ARP); not configuring it`);
    expect(addresses(pair.client, link.clientIf)).toEqual([]);
  });

  it("leaves everything alone with ip=off", async () => {
    pair = createNetnsPair(SERVER);
    const link = pair.links[0];
    const drv = await startDriver(pair.client, { cfg: { ip: { mode: "off" } }, opts: { netWaitMs: 1000, dhcpTimeoutMs: 1000 } }, { timeoutMs: 20_000 });
    const run = await drv.done;
    expect(run.code, run.stderr).toBe(0);
    expect(leaseOf(run.lines.find((l) => l.kind === "lease"))).toBeNull();
    expect(addresses(pair.client, link.clientIf)).toEqual([]);
  });
});

describe("bringUpNetwork against a scripted server", () => {
  async function scriptedPair(cfg: Partial<Parameters<typeof startScriptedServer>[1]>) {
    pair = createNetnsPair(SERVER);
    // Node's dgram has no SO_BINDTODEVICE: a default route gives its broadcasts a way out.
    ip(["route", "add", "default", "dev", pair.links[0].serverIf], pair.server);
    const s = await startScriptedServer(pair.server, { serverIp: SERVER, poolStart: "10.77.0.50", leaseTime: 600, t1: 300, t2: 500, ...cfg });
    scripted.push(s);
    return s;
  }

  it("starts over when the server NAKs the REQUEST for its own offer", async () => {
    const server = await scriptedPair({ nakSelecting: 1 });
    const drv = await startDriver(pair!.client, { cfg: {}, opts: { netWaitMs: 5000, dhcpTimeoutMs: 15000 } }, { timeoutMs: 30_000 });
    const run = await drv.done;
    expect(run.code, run.stderr).toBe(0);
    expect(leaseOf(run.lines.find((l) => l.kind === "lease"))?.address).toBe("10.77.0.50");
    expect(run.stderr).toContain(`${SERVER} refused 10.77.0.50 (DHCPNAK: scripted NAK), starting over`);
    expect(server.saw.map((m) => `${m.type}->${m.answered}`)).toEqual(["DISCOVER->OFFER", "REQUEST->NAK", "DISCOVER->OFFER", "REQUEST->ACK"]);
    // A new transaction after the NAK.
    expect(server.saw[2].xid).not.toBe(server.saw[0].xid);
  });

  it("with the ARP check, declines a renewal that moves it to an address another host answers for, and gets a new lease", async () => {
    const server = await scriptedPair({ leaseTime: 60, t1: 2, t2: 4, moveOnRenew: "10.77.0.77" });
    const link = pair!.links[0];
    // The server's side holds the address the renewal hands out: its kernel answers the probes.
    ip(["addr", "add", "10.77.0.77/24", "dev", link.serverIf], pair!.server);
    const drv = await startDriver(pair!.client, { cfg: {}, opts: { netWaitMs: 5000, dhcpTimeoutMs: 30000, arpCheckMs: 300 }, waitFor: ["declined", "bound"] }, { timeoutMs: 45_000 });
    const run = await drv.done;
    expect(run.code, run.stderr).toBe(0);
    const evs = events(run.lines);
    expect(evs.map((e) => e.type)).toEqual(["declined", "bound"]);
    expect(evs[0]).toMatchObject({ address: "10.77.0.77", server: SERVER, lease: { address: "10.77.0.50" } });
    const serverMac = JSON.parse(ip(["-j", "link", "show", link.serverIf], pair!.server))[0].address as string;
    expect(run.stderr).toContain(`${link.clientIf}: ${SERVER} moved us from 10.77.0.50 to 10.77.0.77, which ${serverMac} (it answered ARP) holds; declined, asking for a new lease`);
    // The DECLINE names the address; then a new DISCOVER, and the node is back on its own address.
    const after = server.saw.slice(2).map((m) => `${m.type}->${m.answered}`);
    expect(after.slice(0, 2)).toEqual(["REQUEST->ACK", "DECLINE->null"]);
    expect(server.saw.find((m) => m.type === "DECLINE")?.requestedIp).toBe("10.77.0.77");
    expect(after).toContain("DISCOVER->OFFER");
    expect(addresses(pair!.client, link.clientIf)).toEqual(["10.77.0.50/24"]);
  });

  it("says so loudly when the lease expires, keeps the address meanwhile, and gets a new lease", async () => {
    const server = await scriptedPair({ leaseTime: 6, t1: 2, t2: 4, silentAfterFirstAckMs: 7000 });
    const drv = await startDriver(pair!.client, { cfg: {}, opts: { netWaitMs: 5000, dhcpTimeoutMs: 15000 }, waitFor: ["rebinding", "expired", "bound"] }, { timeoutMs: 40_000 });
    const lease = leaseOf(await drv.waitForLine((l) => l.kind === "lease", 20_000))!;
    await drv.waitForLine((l) => l.kind === "event" && l.event.type === "expired", 15_000);
    expect(addresses(pair!.client, pair!.links[0].clientIf)).toEqual([`${lease.address}/24`]);
    const run = await drv.done;
    expect(run.code, run.stderr).toBe(0);
    expect(events(run.lines).map((e) => e.type)).toEqual(["rebinding", "expired", "bound"]);
    expect(run.stderr).toContain(`LEASE ON ${lease.address} EXPIRED`);
    expect(server.saw.slice(0, 2).map((m) => `${m.type}->${m.answered}`)).toEqual(["DISCOVER->OFFER", "REQUEST->ACK"]);
    // RENEW (unicast) and REBIND (broadcast) both went unanswered...
    const extend = server.saw.filter((m) => m.type === "REQUEST" && m.ciaddr === lease.address);
    expect(extend.length).toBeGreaterThanOrEqual(2);
    expect(extend.every((m) => m.answered === null)).toBe(true);
    // ...then discovery again, asking for the old address back.
    const rediscover = server.saw.filter((m, i) => i > 1 && m.type === "DISCOVER");
    expect(rediscover.length).toBeGreaterThanOrEqual(1);
    expect(rediscover[0].requestedIp).toBe(lease.address);
    expect(addresses(pair!.client, pair!.links[0].clientIf)).toEqual([`${lease.address}/24`]);
  });
});
