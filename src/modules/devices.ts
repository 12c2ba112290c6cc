// Devices the kernel has found, as /sys/bus/*/devices/* lists them, with the modalias strings
// that name the drivers they need. This is what udev's coldplug reads, without udev.
import { existsSync, readdirSync, readFileSync, realpathSync } from "node:fs";
import { basename, join } from "node:path";

export interface Device {
  /** bus/name, as listed under /sys/bus. */
  key: string;
  /** Real path under /sys/devices (resolved when first asked for). */
  readonly path: string;
  modalias: string;
  /** A driver is bound already (built in, or loaded earlier); looked up when first asked for. */
  readonly bound: boolean;
}

/**
 * A device found under /sys/bus. Its real path and binding cost a realpath (glibc walks every
 * component with readlink) and a stat: asked only for the few devices a carried module drives.
 */
class ListedDevice implements Device {
  private resolved: string | undefined;
  private hasDriver: boolean | undefined;

  constructor(
    readonly key: string,
    private readonly link: string,
    readonly modalias: string,
  ) {}

  get path(): string {
    if (this.resolved === undefined) {
      try {
        this.resolved = realpathSync.native(this.link);
      } catch {
        this.resolved = this.link; // gone meanwhile: its bus entry still names it
      }
    }
    return this.resolved;
  }

  get bound(): boolean {
    return (this.hasDriver ??= existsSync(join(this.link, "driver")));
  }
}

/**
 * Devices with a modalias; entries whose key is in `skip` are not looked at again (rescans are
 * cheap). Most entries of /sys/bus have no modalias: they are skipped by an access() check, not
 * by a failed read, whose exception costs far more than the call under emulation.
 */
export function scanDevices(sysRoot = "/sys", skip?: Set<string>): Device[] {
  const out: Device[] = [];
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
      const link = `${dir}/${name}`;
      const file = `${link}/modalias`;
      if (!existsSync(file)) continue;
      let modalias: string;
      try {
        modalias = readFileSync(file, "utf8").trim();
      } catch {
        continue; // the device went away while we looked
      }
      if (modalias) out.push(new ListedDevice(key, link, modalias));
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
