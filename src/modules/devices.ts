// Devices the kernel has found, as /sys/bus/*/devices/* lists them, with the modalias strings
// that name the drivers they need. This is what udev's coldplug reads, without udev.
import { existsSync, readdirSync, readFileSync, realpathSync } from "node:fs";
import { basename, join } from "node:path";

export interface Device {
  /** bus/name, as listed under /sys/bus. */
  key: string;
  /** Real path under /sys/devices. */
  path: string;
  modalias: string;
  /** A driver is bound already (built in, or loaded earlier). */
  bound: boolean;
}

/** Devices with a modalias; entries whose key is in `skip` are not looked at again (rescans are cheap). */
export function scanDevices(sysRoot = "/sys", skip?: Set<string>): Device[] {
  const out: Device[] = [];
  const seen = new Set<string>();
  let buses: string[];
  try {
    buses = readdirSync(join(sysRoot, "bus"));
  } catch {
    return out;
  }
  for (const bus of buses.sort()) {
    const dir = join(sysRoot, "bus", bus, "devices");
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      continue;
    }
    for (const name of names.sort()) {
      const key = `${bus}/${name}`;
      if (skip?.has(key)) continue;
      const link = join(dir, name);
      let modalias: string;
      let path: string;
      try {
        modalias = readFileSync(join(link, "modalias"), "utf8").trim();
        // One realpath(3) call: the JavaScript version lstat()s every component, slow under emulation.
        path = realpathSync.native(link);
      } catch {
        continue; // no modalias (or the device went away while we looked)
      }
      if (!modalias || seen.has(path)) continue;
      seen.add(path);
      out.push({ key, path, modalias, bound: existsSync(join(link, "driver")) });
    }
  }
  return out;
}

const PCI_ADDRESS = /^[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$/;

/** "0000:00:03.0" for a PCI device, "0000:00:03.0 (virtio1)" for a device below one. */
export function describeDevice(path: string): string {
  const name = basename(path);
  const pci = path.split("/").filter((c) => PCI_ADDRESS.test(c)).pop();
  if (!pci || pci === name) return name;
  return `${pci} (${name})`;
}
