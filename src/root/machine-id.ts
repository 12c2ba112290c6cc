// /etc/machine-id in a root that many nodes boot. A debootstrap image carries the id of the machine
// that built it (systemd's postinst writes one), so every node boots with the same one; and
// systemd-networkd derives its DHCP client identifier (DUID) from it, so nodes that look alike to
// the DHCP server get the same address, and journald and D-Bus mix them up. tarboot.machine-id=mac
// gives each node an id derived from its boot NIC's MAC, dmi the firmware's system UUID (what
// systemd itself takes in a VM); both are the same at every boot of that node. empty leaves an
// empty file, which systemd fills with a new id at each boot (the state systemd asks images to ship in).
import { lstatSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { MachineIdMode } from "../cmdline/types";
import { info, warn } from "../console/log";
import type { Lease } from "../net/lease";
import { replaceFile } from "./write-identity";

/** 128 bits as systemd formats an id: 32 lowercase hex digits, version 4 and RFC 4122 variant bits set. */
function formatV4(bytes: Buffer): string {
  const b = Buffer.from(bytes.subarray(0, 16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  return b.toString("hex");
}

/** The same id for the same MAC, whatever its spelling; no other node's MAC gives it. */
export function machineIdFromMac(mac: string): string {
  const canonical = mac.toLowerCase().replaceAll("-", ":");
  // node:crypto only here: the boot does not load it otherwise.
  const { createHash } = process.getBuiltinModule("node:crypto");
  return formatV4(createHash("sha256").update(`tarboot machine-id ${canonical}`).digest());
}

// Values some firmware reports for every board of a model (or none): not an identity.
const PLACEHOLDER_UUIDS = new Set(["00000000000000000000000000000000", "ffffffffffffffffffffffffffffffff", "03000200040005000006000700080009"]);

/** The firmware's system UUID as an id (systemd's way), or null when it is missing or a placeholder. */
export function machineIdFromUuid(uuid: string): string | null {
  const hex = uuid.trim().toLowerCase().replaceAll("-", "");
  if (!/^[0-9a-f]{32}$/.test(hex) || PLACEHOLDER_UUIDS.has(hex)) return null;
  return hex;
}

export const PRODUCT_UUID = "/sys/class/dmi/id/product_uuid";

/** The firmware's system UUID in its usual form (lowercase, dashed), or undefined when it cannot tell machines apart. */
export function systemUuid(path = PRODUCT_UUID): string | undefined {
  let raw: string;
  try {
    raw = readFileSync(path, "latin1");
  } catch {
    return undefined;
  }
  const hex = machineIdFromUuid(raw);
  return hex === null ? undefined : `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** Writes /etc/machine-id into `root` as `mode` says; returns what was written (null: nothing). */
export function writeMachineId(root: string, mode: MachineIdMode, lease: Lease | null, productUuid = PRODUCT_UUID): string | null {
  if (mode === "keep") return null;
  let id: string;
  let from: string;
  if (mode === "empty") {
    id = "";
    from = "empty: systemd makes a new one at each boot";
  } else if (mode === "mac") {
    if (!lease?.mac) {
      warn("tarboot.machine-id=mac: no boot interface (ip=off); /etc/machine-id left as the root has it");
      return null;
    }
    id = machineIdFromMac(lease.mac);
    from = `from the MAC of ${lease.iface}, ${lease.mac.toLowerCase()}`;
  } else {
    let raw = "";
    try {
      raw = readFileSync(productUuid, "latin1");
    } catch (err) {
      warn(`tarboot.machine-id=dmi: cannot read ${productUuid} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); /etc/machine-id left as the root has it`);
      return null;
    }
    const fromUuid = machineIdFromUuid(raw);
    if (fromUuid === null) {
      warn(`tarboot.machine-id=dmi: the firmware's system UUID ${JSON.stringify(raw.trim())} is not one a machine can be told by; /etc/machine-id left as the root has it (tarboot.machine-id=mac derives one from the MAC)`);
      return null;
    }
    id = fromUuid;
    from = "the firmware's system UUID";
  }
  const etc = join(root, "etc");
  let st;
  try {
    st = lstatSync(etc);
  } catch {
    st = null;
  }
  if (!st?.isDirectory()) {
    warn(`/etc/machine-id not written: /etc in the new root is ${st ? "not a directory" : "missing"}`);
    return null;
  }
  replaceFile(join(etc, "machine-id"), id === "" ? "" : `${id}\n`, 0o444);
  info(`/etc/machine-id: ${id || "(empty)"} (${from})`);
  return id;
}
