import { existsSync, mkdirSync, mkdtempSync, readdirSync, readlinkSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { hostNetDrivers } from "./host-drivers";

const tmp = mkdtempSync(join(tmpdir(), "tarboot-sys-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A sysfs tree as the kernel lays it out: devices under devices/, class/net links into it. */
function sysfs(root: string, nets: Record<string, string | null>, drivers: Record<string, string>): string {
  for (const [dev, module] of Object.entries(drivers)) {
    mkdirSync(join(root, "devices", dev), { recursive: true });
    const drv = join(root, "bus/x/drivers", module);
    mkdirSync(drv, { recursive: true });
    mkdirSync(join(root, "module", module), { recursive: true });
    symlinkSync(join(root, "module", module), join(drv, "module"));
    symlinkSync(drv, join(root, "devices", dev, "driver"));
  }
  for (const [iface, dev] of Object.entries(nets)) {
    const dir = join(root, "class/net", iface);
    mkdirSync(dir, { recursive: true });
    if (dev) {
      mkdirSync(join(root, "devices", dev), { recursive: true });
      symlinkSync(join(root, "devices", dev), join(dir, "device"));
    }
  }
  return root;
}

describe("--net-drivers host", () => {
  it("takes each interface's driver and those of the devices above it, not virtual interfaces", () => {
    const root = sysfs(
      join(tmp, "a"),
      { eth0: "pci0000:00/0000:00:02.0/virtio0", eth1: "pci0000:00/0000:00:03.0", lo: null, br0: null },
      { "pci0000:00/0000:00:02.0/virtio0": "virtio_net", "pci0000:00/0000:00:02.0": "virtio_pci", "pci0000:00/0000:00:03.0": "e1000e" },
    );
    expect(hostNetDrivers(root)).toEqual(["virtio_net", "virtio_pci", "e1000e"]);
  });

  it("finds nothing where the drivers are built in or there is no NIC", () => {
    const root = sysfs(join(tmp, "b"), { eth0: "pci0000:00/0000:00:05.0", lo: null }, {});
    expect(hostNetDrivers(root)).toEqual([]);
    expect(hostNetDrivers(join(tmp, "none"))).toEqual([]);
  });

  it("on this machine, includes the driver module of every interface that has one", () => {
    const own = hostNetDrivers();
    for (const iface of readdirSync("/sys/class/net")) {
      const module = join("/sys/class/net", iface, "device/driver/module");
      if (existsSync(module)) expect(own, iface).toContain(basename(readlinkSync(module)));
    }
  });
});
