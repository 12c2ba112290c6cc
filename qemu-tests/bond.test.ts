// A VM host's boot network: a bridge over a bond of two NICs, and a cable pulled while it boots.
// Both NICs sit on one hub with QEMU's user network; BOOTIF= names the second, which the bond
// therefore takes first (its MAC, and the active slave of active-backup), and the bridge takes
// the bond's MAC. Once tarboot asks for the lease, that NIC's link goes down through the QEMU
// monitor; the lease and the root must arrive through the other.
import { mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Artifacts, QEMU_OUT, baseAppend, consoleLog, loadArtifacts } from "./lib/artifacts";
import { type FileServer, serveDir } from "./lib/http";
import { monitorArgs, monitorCommand } from "./lib/monitor";
import { bootQemu } from "./lib/qemu";
import { makeRootTarball, markerInit } from "./lib/testroot";

let art: Artifacts;
let dir: string;
let server: FileServer;

beforeAll(async () => {
  art = loadArtifacts();
  dir = mkdtempSync(join(QEMU_OUT, "bond-"));
  makeRootTarball(join(dir, "base.tar.zst"), {
    busybox: true,
    files: {
      "sbin/init": markerInit(
        "TARBOOT-BOND",
        `echo "BOND: $(grep -E '^(Bonding Mode|Currently Active Slave|Slave Interface|MII Status)' /proc/net/bonding/bond0 | tr '\\n' '|')"\n` +
          `echo "BRIDGE: $(ls /sys/class/net/br0/brif | tr '\\n' ' ')mac=$(cat /sys/class/net/br0/address) ip=$(ip -4 -o addr show dev br0 | awk '{print $4}')"`,
      ),
    },
  });
  server = await serveDir(dir);
});

afterAll(async () => {
  await server?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("bond= and bridge=", () => {
  it("bridges a bond of two NICs, the BOOTIF= one first, and boots through the other when its link dies", async () => {
    const monitor = join(dir, "monitor.sock");
    let console = "";
    let cut: Promise<string> | undefined;
    const r = await bootQemu({
      kernel: art.vmlinux,
      initrd: art.initramfs,
      append: baseAppend(
        `root=http://10.0.2.2:${server.port}/base.tar.zst bond=bond0:eth0,eth1:mode=active-backup,miimon=50 bridge=br0:bond0 BOOTIF=01-52-54-00-12-34-57`,
      ),
      network: [
        "-netdev", "user,id=u0,hostname=bonded4",
        "-netdev", "hubport,id=hu,hubid=0,netdev=u0",
        "-netdev", "hubport,id=p0,hubid=0",
        "-device", "virtio-net-pci,netdev=p0,id=nic0,mac=52:54:00:12:34:56",
        "-netdev", "hubport,id=p1,hubid=0",
        "-device", "virtio-net-pci,netdev=p1,id=nic1,mac=52:54:00:12:34:57",
      ],
      extraArgs: monitorArgs(monitor),
      onOutput: (chunk) => {
        console += chunk;
        if (!cut && console.includes("br0: asking for a DHCP lease")) cut = monitorCommand(monitor, "set_link nic1 off");
      },
      until: /TARBOOT-BOND .*/,
      waitForExit: true,
      timeoutMs: 240_000,
      logFile: consoleLog("bond"),
    });
    expect(r.timedOut, r.console).toBe(false);
    expect(cut, r.console).toBeDefined();
    expect(await cut).toBe("");
    expect(r.matched?.[0], r.console).toMatch(/^TARBOOT-BOND pid=1 hostname=bonded4 /);
    expect(r.console).toMatch(/loaded bonding \(and tls\) for bond=bond0:eth0,eth1:mode=active-backup,miimon=50/);
    expect(r.console).toMatch(/loaded bridge \(and [a-z, ]+\) for bridge=br0:bond0/);
    // BOOTIF='s NIC first: the bond has its MAC, as the DHCP server saw it at PXE time.
    expect(r.console).toContain("bond0: bond (active-backup) of eth1, eth0 (MAC 52:54:00:12:34:57)");
    expect(r.console).toContain("br0: bridge of bond0 (MAC 52:54:00:12:34:57)");
    expect(r.console).toContain("br0: asking for a DHCP lease (MAC 52:54:00:12:34:57)");
    expect(r.console).toMatch(/tarboot: br0: 10\.0\.2\.15\/24 via 10\.0\.2\.2/);
    expect(server.requests).toEqual(["GET /base.tar.zst 200"]);
    // The booted system has the bond, running on eth0 since eth1's cable was pulled.
    const status = /BOND: (.*)/.exec(r.console)?.[1] ?? "";
    expect(status, r.console).toContain("Bonding Mode: fault-tolerance (active-backup)|");
    expect(status).toContain("Currently Active Slave: eth0|");
    expect(status).toMatch(/Slave Interface: eth1\|MII Status: down\|/);
    expect(status).toMatch(/Slave Interface: eth0\|MII Status: up\|/);
    expect(r.console).toMatch(/BRIDGE: bond0 mac=52:54:00:12:34:57 ip=10\.0\.2\.15\/24/);
    expect(r.console).not.toMatch(/Kernel panic/);
  });
});
