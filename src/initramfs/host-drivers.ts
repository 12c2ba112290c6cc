// `--net-drivers host`: the modules this machine's own network interfaces use, for an image built
// on a node of the hardware it will boot: each interface's driver and those of the devices above it
// (virtio_net and the virtio_pci it sits on), read from sysfs. Built-in drivers have no module.
import { existsSync, readdirSync, readlinkSync, realpathSync } from "node:fs";
import { basename, dirname, join } from "node:path";

/** Module names, in the order met (an interface's own driver first), each once. */
export function hostNetDrivers(sysRoot = "/sys"): string[] {
  const modules: string[] = [];
  const netDir = join(sysRoot, "class/net");
  const devicesDir = join(sysRoot, "devices");
  if (!existsSync(netDir) || !existsSync(devicesDir)) return modules;
  // Compared with resolved links: resolved itself, whatever path leads to it.
  const devices = realpathSync(devicesDir);
  for (const iface of readdirSync(netDir).sort()) {
    const link = join(netDir, iface, "device");
    // Virtual interfaces (lo, bridges, tunnels) have no device.
    if (!existsSync(link)) continue;
    for (let dev = realpathSync(link); dev.startsWith(devices) && dev !== devices; dev = dirname(dev)) {
      const module = join(dev, "driver/module");
      if (!existsSync(module)) continue;
      const name = basename(readlinkSync(module));
      if (!modules.includes(name)) modules.push(name);
    }
  }
  return modules;
}
