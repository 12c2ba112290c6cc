import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { SysError } from "../sys/libc";
import { countInterfaces, isPciNic, loadNetworkDrivers } from "./coldplug";
import { describeDevice, scanDevices } from "./devices";
import { loadModuleFile } from "./load";

const dir = mkdtempSync(join(tmpdir(), "tarboot-coldplug-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A sysfs-shaped tree: devices under devices/, bus entries as symlinks, as the kernel lays them out. */
function fakeSys(devices: { bus: string; path: string; modalias: string; bound?: boolean }[]): string {
  const root = mkdtempSync(join(dir, "sys-"));
  for (const d of devices) {
    const real = join(root, "devices", d.path);
    mkdirSync(real, { recursive: true });
    writeFileSync(join(real, "modalias"), `${d.modalias}\n`);
    if (d.bound) mkdirSync(join(real, "driver"));
    mkdirSync(join(root, "bus", d.bus, "devices"), { recursive: true });
    symlinkSync(real, join(root, "bus", d.bus, "devices", d.path.split("/").pop()!));
  }
  return root;
}

describe("device scan", () => {
  it("reads modalias and driver binding from /sys/bus/*/devices", () => {
    const sys = fakeSys([
      { bus: "pci", path: "pci0000:00/0000:00:03.0", modalias: "pci:v00001AF4d00001000sv00001AF4sd00000001bc02sc00i00", bound: true },
      { bus: "virtio", path: "pci0000:00/0000:00:03.0/virtio1", modalias: "virtio:d00000001v00001AF4" },
    ]);
    const found = scanDevices(sys);
    expect(found.map((d) => [describeDevice(d.path), d.bound])).toEqual([
      ["0000:00:03.0", true],
      ["0000:00:03.0 (virtio1)", false],
    ]);
  });

  it("skips entries without a modalias, and resolves a device's path and driver only when asked", () => {
    const sys = fakeSys([{ bus: "virtio", path: "pci0000:00/0000:00:04.0/virtio2", modalias: "virtio:d00000001v00001AF4" }]);
    mkdirSync(join(sys, "devices/platform/serial8250"), { recursive: true });
    mkdirSync(join(sys, "bus/platform/devices"), { recursive: true });
    symlinkSync(join(sys, "devices/platform/serial8250"), join(sys, "bus/platform/devices/serial8250"));
    const found = scanDevices(sys);
    expect(found.map((d) => d.key)).toEqual(["virtio/virtio2"]);
    // Gone before anyone asked: the bus entry still names it, and no driver is bound to it.
    rmSync(join(sys, "devices/pci0000:00/0000:00:04.0"), { recursive: true });
    expect(found[0].path).toBe(join(sys, "bus/virtio/devices/virtio2"));
    expect(describeDevice(found[0].path)).toBe("virtio2");
    expect(found[0].bound).toBe(false);
  });

  it("reads this machine's real /sys", () => {
    const real = scanDevices();
    expect(real.length).toBeGreaterThan(0);
    for (const d of real) expect(d.path.startsWith("/sys/devices/")).toBe(true);
  });
});

describe("module loading", () => {
  it("hands the file to finit_module and reports the kernel's refusal", async () => {
    const bogus = join(dir, "bogus.ko");
    writeFileSync(bogus, "not an ELF module");
    const err = await loadModuleFile(bogus, "bogus").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SysError);
    // ENOSYS on kernels without module support (CI containers), ENOEXEC/EINVAL/EPERM elsewhere.
    expect(["ENOSYS", "ENOEXEC", "EINVAL", "EPERM", "EKEYREJECTED"]).toContain((err as SysError).code);
    expect((err as SysError).message).toMatch(/^finit_module\(bogus\)/);
  });

  it("loads nothing when the initramfs carries no module tree", async () => {
    expect(await loadNetworkDrivers({ modulesDir: join(dir, "nope") })).toEqual([]);
  });

  it("matches only modules that are carried, and skips bound devices", async () => {
    const mods = join(dir, "lib-modules");
    mkdirSync(join(mods, "kernel"), { recursive: true });
    writeFileSync(join(mods, "modules.dep"), "kernel/virtio_net.ko:\nkernel/e1000.ko:\n");
    writeFileSync(join(mods, "modules.alias"), "alias virtio:d00000001v* virtio_net\nalias pci:v00008086d0000100Esv*sd*bc*sc*i* e1000\n");
    // Only e1000 is in the tree; its device is bound already (built-in driver), so nothing is loaded.
    writeFileSync(join(mods, "kernel/e1000.ko"), "x");
    const sys = fakeSys([
      { bus: "pci", path: "pci0000:00/0000:00:04.0", modalias: "pci:v00008086d0000100Esv00008086sd0000001Ebc02sc00i00", bound: true },
      { bus: "virtio", path: "pci0000:00/0000:00:03.0/virtio1", modalias: "virtio:d00000001v00001AF4" },
    ]);
    expect(await loadNetworkDrivers({ modulesDir: mods, sysRoot: sys, procModules: join(dir, "none") })).toEqual([]);
  });

  it("reports the driver for a device whose module is carried and already in the kernel", async () => {
    const mods = join(dir, "lib-modules-2");
    mkdirSync(join(mods, "kernel/drivers/net"), { recursive: true });
    writeFileSync(join(mods, "modules.dep"), "kernel/drivers/net/virtio_net.ko: kernel/drivers/net/net_failover.ko\nkernel/drivers/net/net_failover.ko:\n");
    writeFileSync(join(mods, "modules.alias"), "alias virtio:d00000001v* virtio_net\n");
    writeFileSync(join(mods, "kernel/drivers/net/virtio_net.ko"), "x");
    writeFileSync(join(mods, "kernel/drivers/net/net_failover.ko"), "x");
    const proc = join(dir, "proc-modules");
    writeFileSync(proc, "virtio_net 69632 0 - Live 0x0000000000000000\nnet_failover 24576 1 virtio_net, Live 0x0000000000000000\n");
    const sys = fakeSys([{ bus: "virtio", path: "pci0000:00/0000:00:03.0/virtio1", modalias: "virtio:d00000001v00001AF4" }]);
    expect(await loadNetworkDrivers({ modulesDir: mods, sysRoot: sys, procModules: proc })).toEqual([{ module: "virtio_net", device: "0000:00:03.0 (virtio1)" }]);
  });

  it("loads a chain of drivers as their devices appear, without pausing, and stops once every NIC has its interface", async () => {
    const mods = join(dir, "lib-modules-3");
    mkdirSync(join(mods, "kernel"), { recursive: true });
    writeFileSync(join(mods, "modules.dep"), "kernel/virtio_pci.ko:\nkernel/virtio_net.ko:\n");
    writeFileSync(join(mods, "modules.alias"), "alias pci:v00001AF4d00001000sv*sd*bc*sc*i* virtio_pci\nalias virtio:d00000001v* virtio_net\n");
    writeFileSync(join(mods, "kernel/virtio_pci.ko"), "x");
    writeFileSync(join(mods, "kernel/virtio_net.ko"), "x");
    const nic = "pci0000:00/0000:00:02.0";
    const sys = fakeSys([{ bus: "pci", path: nic, modalias: "pci:v00001AF4d00001000sv00001AF4sd00000001bc02sc00i00" }]);
    // What the kernel does on each load: virtio_pci creates the virtio device, virtio_net its interface.
    const loaded: string[] = [];
    const loadModule = async (_file: string, name: string) => {
      loaded.push(name);
      if (name === "virtio_pci") {
        const real = join(sys, "devices", nic, "virtio0");
        mkdirSync(real, { recursive: true });
        writeFileSync(join(real, "modalias"), "virtio:d00000001v00001AF4\n");
        mkdirSync(join(sys, "bus/virtio/devices"), { recursive: true });
        symlinkSync(real, join(sys, "bus/virtio/devices/virtio0"));
      } else {
        mkdirSync(join(sys, "class/net/eth0"), { recursive: true });
      }
      return "loaded" as const;
    };
    // Settle and poll times far beyond the test's timeout: the loop ends in time only if it looks
    // again at once after each load and then stops on the interface check.
    const result = await loadNetworkDrivers({ modulesDir: mods, sysRoot: sys, procModules: join(dir, "none"), settleMs: 600_000, pollMs: 600_000, loadModule });
    expect(loaded).toEqual(["virtio_pci", "virtio_net"]);
    expect(result.map((r) => r.module)).toEqual(["virtio_pci", "virtio_net"]);
    expect(countInterfaces(sys)).toBe(1);
  });

  it("counts PCI network controllers by their base class and interfaces without loopback", () => {
    expect(isPciNic("pci:v00008086d0000100Esv00008086sd0000001Ebc02sc00i00")).toBe(true);
    expect(isPciNic("pci:v00001AF4d00001001sv00001AF4sd00000002bc01sc00i00")).toBe(false);
    expect(isPciNic("virtio:d00000001v00001AF4")).toBe(false);
    const sys = mkdtempSync(join(dir, "net-"));
    mkdirSync(join(sys, "class/net/lo"), { recursive: true });
    expect(countInterfaces(sys)).toBe(0);
    expect(countInterfaces(join(sys, "missing"))).toBe(0);
  });
});
