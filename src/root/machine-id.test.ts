import { chmodSync, lstatSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { dhcpLease, tempDir } from "../testing/root-fixtures";
import { machineIdFromMac, machineIdFromUuid, systemUuid, writeMachineId } from "./machine-id";

describe("machine ids", () => {
  it("derives one per MAC, whatever its spelling, in systemd's format", () => {
    // Pinned: a change here would give every node a new identity (and DHCP client id) on upgrade.
    expect(machineIdFromMac("52:54:00:12:34:56")).toBe("a588264e2552488aa9ca2f369831d063");
    expect(machineIdFromMac("52-54-00-12-34-56")).toBe(machineIdFromMac("52:54:00:12:34:56"));
    expect(machineIdFromMac("52:54:00:AB:CD:EF")).toBe(machineIdFromMac("52:54:00:ab:cd:ef"));
    expect(machineIdFromMac("52:54:00:12:34:57")).not.toBe(machineIdFromMac("52:54:00:12:34:56"));
    expect(machineIdFromMac("02:00:00:00:00:01")).toMatch(/^[0-9a-f]{12}4[0-9a-f]{3}[89ab][0-9a-f]{15}$/);
  });

  it("takes the firmware's UUID as systemd does, and refuses the placeholders boards share", () => {
    expect(machineIdFromUuid("4C4C4544-0035-3010-8030-B4C04F4E3732\n")).toBe("4c4c4544003530108030b4c04f4e3732");
    expect(machineIdFromUuid("00000000-0000-0000-0000-000000000000")).toBeNull();
    expect(machineIdFromUuid("FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF")).toBeNull();
    expect(machineIdFromUuid("03000200-0400-0500-0006-000700080009")).toBeNull();
    expect(machineIdFromUuid("Not Settable")).toBeNull();
  });
});

describe("systemUuid (%uuid)", () => {
  it("reads the firmware's UUID in its dashed lowercase form, and nothing for a placeholder or none", () => {
    const tmp = tempDir("uuid");
    try {
      const f = join(tmp.dir, "product_uuid");
      writeFileSync(f, "4C4C4544-0035-3010-8030-B4C04F4E3732\n");
      expect(systemUuid(f)).toBe("4c4c4544-0035-3010-8030-b4c04f4e3732");
      writeFileSync(f, "03000200-0400-0500-0006-000700080009\n");
      expect(systemUuid(f)).toBeUndefined();
      expect(systemUuid(join(tmp.dir, "none"))).toBeUndefined();
    } finally {
      tmp.cleanup();
    }
  });
});

describe("writeMachineId", () => {
  let tmp: ReturnType<typeof tempDir>;
  let root: string;
  const lease = dhcpLease({ mac: "52:54:00:12:34:56" });
  beforeEach(() => {
    tmp = tempDir("machineid");
    root = join(tmp.dir, "root");
    mkdirSync(join(root, "etc"), { recursive: true });
    // As debootstrap leaves it: the building machine's id, read-only.
    writeFileSync(join(root, "etc/machine-id"), "0123456789abcdef0123456789abcdef\n");
    chmodSync(join(root, "etc/machine-id"), 0o444);
  });
  afterEach(() => tmp.cleanup());
  const content = () => readFileSync(join(root, "etc/machine-id"), "utf8");

  it("keep leaves the root's file alone", () => {
    expect(writeMachineId(root, "keep", lease)).toBeNull();
    expect(content()).toBe("0123456789abcdef0123456789abcdef\n");
  });

  it("mac replaces the image's id with the node's own, read-only as systemd leaves it", () => {
    expect(writeMachineId(root, "mac", lease)).toBe("a588264e2552488aa9ca2f369831d063");
    expect(content()).toBe("a588264e2552488aa9ca2f369831d063\n");
    expect(lstatSync(join(root, "etc/machine-id")).mode & 0o777).toBe(0o444);
    expect(writeMachineId(root, "mac", null)).toBeNull();
  });

  it("replaces a symlink instead of writing through it (an absolute one points into the initramfs at boot)", () => {
    const outside = join(tmp.dir, "outside-id");
    writeFileSync(outside, "host\n");
    const link = join(root, "etc/machine-id");
    rmSync(link);
    symlinkSync(outside, link);
    expect(writeMachineId(root, "empty", lease)).toBe("");
    expect(lstatSync(link).isSymbolicLink()).toBe(false);
    expect(content()).toBe("");
    expect(readFileSync(outside, "utf8")).toBe("host\n");
  });

  it("dmi takes the firmware's UUID, and leaves the file when the UUID is a placeholder or missing", () => {
    const uuid = join(tmp.dir, "product_uuid");
    writeFileSync(uuid, "4C4C4544-0035-3010-8030-B4C04F4E3732\n");
    expect(writeMachineId(root, "dmi", lease, uuid)).toBe("4c4c4544003530108030b4c04f4e3732");
    expect(content()).toBe("4c4c4544003530108030b4c04f4e3732\n");
    writeFileSync(uuid, "03000200-0400-0500-0006-000700080009\n");
    expect(writeMachineId(root, "dmi", lease, uuid)).toBeNull();
    expect(content()).toBe("4c4c4544003530108030b4c04f4e3732\n");
    expect(writeMachineId(root, "dmi", lease, join(tmp.dir, "no-such-file"))).toBeNull();
  });

  it("writes nothing when the root's /etc is not a directory", () => {
    const bare = join(tmp.dir, "bare");
    mkdirSync(bare);
    expect(writeMachineId(bare, "mac", lease)).toBeNull();
  });
});
