// A boot on a site's own network instead of QEMU's user network: the guest's NIC is a tap in a
// network namespace where dnsmasq serves DHCP with a root path (option 17) and busybox httpd the
// layers. root=dhcp takes the root from the DHCP server, the lease names the host for
// %hostname, and the ARP check probes the leased address on a real link.
import { mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Dnsmasq, startDnsmasq } from "../src/testing/net-dnsmasq";
import { type Artifacts, QEMU_OUT, baseAppend, consoleLog, loadArtifacts } from "./lib/artifacts";
import { bootQemu } from "./lib/qemu";
import { type SiteTap, startSiteTap } from "./lib/site-tap";
import { makeRootTarball, markerInit } from "./lib/testroot";

const SITE = "10.88.0.1";
const MAC = "52:54:00:12:34:56"; // QEMU's default for the first NIC
let art: Artifacts;
let dir: string;
let site: SiteTap | undefined;
let dnsmasq: Dnsmasq | undefined;

beforeAll(async () => {
  art = loadArtifacts();
  dir = mkdtempSync(join(QEMU_OUT, "site-"));
  makeRootTarball(join(dir, "base.tar.zst"), { busybox: true, files: { "sbin/init": markerInit("TARBOOT-SITE"), "etc/who": "base\n" } });
  makeRootTarball(join(dir, "node9.tar.gz"), { files: { "etc/who": "node9\n" } }, "gzip");
  site = startSiteTap(SITE, 24, dir);
  dnsmasq = await startDnsmasq({
    ns: site.ns,
    iface: "tap0",
    range: "10.88.0.100,10.88.0.150,255.255.255.0,1h",
    options: [`option:router,${SITE}`, `option:root-path,http://${SITE}:8080/base.tar.zst,http://${SITE}:8080/%hostname.tar.gz`],
    hosts: [`${MAC},node9`],
    extraArgs: ["--no-ping"],
  });
});

afterAll(async () => {
  await dnsmasq?.stop();
  await site?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("a site network", () => {
  it("root=dhcp: boots the layers the DHCP server's root path names, %hostname from the lease, with the ARP check", async () => {
    const r = await bootQemu({
      kernel: art.vmlinux,
      initrd: art.initramfs,
      append: baseAppend("root=dhcp tarboot.arp-check=200 debug"),
      tap: site!.tap,
      until: /TARBOOT-SITE .*/,
      waitForExit: true,
      timeoutMs: 300_000,
      logFile: consoleLog("site-network"),
    });
    expect(r.timedOut, r.console).toBe(false);
    expect(r.matched?.[0], r.console).toMatch(/^TARBOOT-SITE pid=1 hostname=node9 ns= who=node9 /);
    expect(r.console).toContain(`root path from DHCP: 2 layer(s): http://${SITE}:8080/base.tar.zst, http://${SITE}:8080/%hostname.tar.gz`);
    expect(r.console).toMatch(/eth0: no answer to ARP probes for 10\.88\.0\.1\d\d in 200 ms: free/);
    expect(dnsmasq!.log()).toMatch(new RegExp(`DHCPACK\\(tap0\\) 10\\.88\\.0\\.1\\d\\d ${MAC} node9`));
    expect(r.console).not.toMatch(/Kernel panic/);
  });
});
