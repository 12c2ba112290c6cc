// A boot on a network without IPv4: the guest's NIC is a tap in a network namespace where dnsmasq
// sends router advertisements (managed: no SLAAC address) and serves DHCPv6 and DNS, and busybox
// httpd serves the layer on an IPv6 address. ip=dhcp6: the address, the name and the DNS server
// come from DHCPv6, the default route from the advertisement, and the layer's host name, which
// has an A record too, is reached by its AAAA record. The NTP server DHCPv6 names (chronyd on the
// site's IPv6 address) sets the guest's clock from 2001, and the console goes to a syslog server
// on an IPv6 address.
import { mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { ChildProcess } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Chronyd, startChronyd } from "../src/testing/chronyd";
import { type Dnsmasq, startDnsmasq } from "../src/testing/net-dnsmasq";
import { spawnInNetns, stopProcess } from "../src/testing/netns";
import { node24 } from "../src/testing/bundle";
import { type Artifacts, QEMU_OUT, baseAppend, consoleLog, loadArtifacts } from "./lib/artifacts";
import { bootQemu } from "./lib/qemu";
import { type SiteTap, startSiteTap } from "./lib/site-tap";
import { makeRootTarball, markerInit } from "./lib/testroot";

const SITE = "fd77::1";
const MAC = "52:54:00:12:34:56"; // QEMU's default for the first NIC
let art: Artifacts;
let dir: string;
let site: SiteTap | undefined;
let dnsmasq: Dnsmasq | undefined;
let chronyd: Chronyd | undefined;
let syslog: ChildProcess | undefined;
let syslogLines = "";

beforeAll(async () => {
  art = loadArtifacts();
  dir = mkdtempSync(join(QEMU_OUT, "ipv6-only-"));
  makeRootTarball(join(dir, "base.tar.zst"), {
    busybox: true,
    files: { "sbin/init": markerInit("TARBOOT-V6", `echo "NET6=$(tr '\\n' ' ' < /run/net6-eth0.conf)"; echo "V4=$(grep -c -v '^ *lo' /proc/net/route 2>/dev/null)"`) },
  });
  site = startSiteTap(SITE, 64, dir);
  const ns = site.ns;
  chronyd = await startChronyd({ address: SITE, port: 123, ns });
  // A syslog server is a UDP port that prints what it gets.
  syslog = spawnInNetns(ns, node24(), ["-e", `require("node:dgram").createSocket("udp6").on("message", (m) => process.stdout.write(m + "\\n")).bind(514, "${SITE}", () => console.log("ready"))`]);
  syslog.stdout?.on("data", (d: Buffer) => (syslogLines += d.toString()));
  for (let i = 0; i < 100 && !syslogLines.includes("ready"); i++) await new Promise((r) => setTimeout(r, 50));
  dnsmasq = await startDnsmasq({
    ns,
    iface: "tap0",
    range: "fd77::100,fd77::1ff,64,1h",
    options: [`option6:dns-server,[${SITE}]`, "option6:domain-search,v6.test", `option6:ntp-server,[${SITE}]`],
    hosts: [`id:00:03:00:01:${MAC},[fd77::106],node6`],
    dnsPort: 53,
    // bootsrv has an A record nothing answers at: an IPv6-only node must take the AAAA one.
    extraArgs: ["--no-ping", "--enable-ra", `--host-record=bootsrv.v6.test,10.99.0.1,${SITE}`],
  });
});

afterAll(async () => {
  await dnsmasq?.stop();
  await chronyd?.stop();
  if (syslog) await stopProcess(syslog);
  await site?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("an IPv6-only network", () => {
  it("ip=dhcp6: the address, name and DNS from DHCPv6, the route from the router, the layer by its AAAA record", async () => {
    const r = await bootQemu({
      kernel: art.vmlinux,
      initrd: art.initramfs,
      append: baseAppend(`ip=dhcp6 root=http://bootsrv:8080/base.tar.zst tarboot.syslog=[${SITE}]`),
      // The NTP server DHCPv6 names sets the clock, over IPv6.
      extraArgs: ["-rtc", "base=2001-01-01T00:00:00"],
      tap: site!.tap,
      until: /TARBOOT-V6 .*/,
      waitForExit: true,
      timeoutMs: 300_000,
      logFile: consoleLog("ipv6-only"),
    });
    expect(r.timedOut, r.console).toBe(false);
    expect(r.matched?.[0], r.console).toMatch(/^TARBOOT-V6 pid=1 hostname=node6 ns=fd77::1 /);
    expect(r.console).toContain("eth0: asking for a DHCPv6 lease (MAC 52:54:00:12:34:56)");
    expect(r.console).toMatch(/eth0: fd77::106\/128, dns fd77::1, lease 3600s from \S+ \(DHCPv6\)/);
    expect(r.console).toContain("hostname node6 (from DHCPv6)");
    expect(r.console).not.toContain("no IPv6 default route");
    expect(r.console).toMatch(/clock set from NTP server fd77::1: \+[\d.]+ days \(was 2001-01-01T\S+, now 20[2-9]\d-/);
    expect(r.console).toMatch(/layer 1\/1 http:\/\/bootsrv:8080\/base\.tar\.zst: \d+ entries unpacked/);
    expect(r.console).toContain("NET6=DEVICE6='eth0' IPV6PROTO='dhcp6' IPV6ADDR='fd77::106' IPV6NETMASK='128' IPV6DNS0='fd77::1'");
    // No IPv4 route at all in the booted system: only the header line of /proc/net/route.
    expect(r.console).toMatch(/^V4=1$/m);
    expect(dnsmasq!.log()).toMatch(/query\[AAAA\] bootsrv\.v6\.test/);
    // The console's lines, the earlier ones too, went to the syslog server over IPv6.
    expect(syslogLines).toMatch(/<\d+>1 \S+ node6 tarboot \d+ - - eth0: fd77::106\/128, dns fd77::1/);
    expect(syslogLines).toContain("starting /sbin/init");
    expect(dnsmasq!.log()).not.toMatch(/query\[A\] bootsrv/);
    expect(r.console).not.toMatch(/Kernel panic/);
  });
});
