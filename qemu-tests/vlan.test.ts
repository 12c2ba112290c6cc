// A boot network that is a tagged VLAN: the guest's only link is a switch port (VlanRelay) that
// passes frames tagged 100 and drops the rest, so the lease and the layer arrive only if tarboot
// loads 8021q, makes eth0.100 on eth0 and runs DHCP and HTTP over it. The VLAN outlives
// switch_root, as the booted system finds it.
import { mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Artifacts, QEMU_OUT, baseAppend, consoleLog, loadArtifacts } from "./lib/artifacts";
import { type FileServer, serveDir } from "./lib/http";
import { bootQemu } from "./lib/qemu";
import { makeRootTarball, markerInit } from "./lib/testroot";
import { startVlanRelay, type VlanRelay } from "./lib/vlan-relay";

let art: Artifacts;
let dir: string;
let server: FileServer;
let relay: VlanRelay;

beforeAll(async () => {
  art = loadArtifacts();
  dir = mkdtempSync(join(QEMU_OUT, "vlan-"));
  makeRootTarball(join(dir, "base.tar.zst"), {
    busybox: true,
    files: { "sbin/init": markerInit("TARBOOT-VLAN", `echo "VLAN-CONFIG=$(tail -n +3 /proc/net/vlan/config | tr -s ' ')"`) },
  });
  server = await serveDir(dir);
  relay = await startVlanRelay(100);
});

afterAll(async () => {
  await relay?.close();
  await server?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("vlan=", () => {
  it("loads 8021q, makes the VLAN on its parent, gets the lease and the root through it", async () => {
    const r = await bootQemu({
      kernel: art.vmlinux,
      initrd: art.initramfs,
      append: baseAppend(`root=http://10.0.2.2:${server.port}/base.tar.zst vlan=eth0.100:eth0`),
      network: relay.qemuArgs("hostname=tagged7"),
      until: /TARBOOT-VLAN .*/,
      waitForExit: true,
      timeoutMs: 240_000,
      logFile: consoleLog("vlan"),
    });
    expect(r.timedOut, r.console).toBe(false);
    expect(r.matched?.[0], r.console).toMatch(/^TARBOOT-VLAN pid=1 hostname=tagged7 /);
    expect(r.console).toMatch(/loaded 8021q \(and [a-z, ]+\) for vlan=eth0\.100:eth0/);
    expect(r.console).toContain("eth0.100: VLAN 100 on eth0 (MAC 52:54:00:12:34:56)");
    expect(r.console).toContain("eth0.100: asking for a DHCP lease");
    expect(r.console).toContain("VLAN-CONFIG=eth0.100 | 100 | eth0");
    expect(server.requests).toEqual(["GET /base.tar.zst 200"]);
    // Both ways through the tag: DHCP, ARP and HTTP went out tagged 100 and came back.
    expect(relay.counts.tagged).toBeGreaterThan(10);
    expect(relay.counts.toGuest).toBeGreaterThan(10);
    expect(relay.counts.otherVlan).toBe(0);
    expect(r.console).not.toMatch(/Kernel panic/);
  });
});
