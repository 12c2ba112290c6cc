import { describe, expect, it } from "vitest";
import type { NetInterface } from "./links";
import { describePresent, pickCandidates, wantedInterface } from "./select";

const nic = (name: string, mac: string, extra: Partial<NetInterface> = {}): NetInterface => ({
  name, ifindex: 2, mac, type: 1, mtu: 1500, wireless: false, virtualMaster: false, ...extra,
});
const present = [
  nic("lo", "00:00:00:00:00:00", { type: 772 }),
  nic("eth0", "52:54:00:00:00:01"),
  nic("eth1", "52:54:00:00:00:02"),
  nic("wlan0", "52:54:00:00:00:03", { wireless: true }),
  nic("br0", "52:54:00:00:00:04", { virtualMaster: true }),
  nic("ib0", "80:00:00:00:00:05", { type: 32 }),
];

describe("interface selection", () => {
  it("tries every wired Ethernet-like interface without BOOTIF or ip= device", () => {
    expect(pickCandidates(wantedInterface({}), present).map((i) => i.name)).toEqual(["eth0", "eth1"]);
  });

  it("follows BOOTIF's MAC, case-insensitively", () => {
    expect(pickCandidates(wantedInterface({ bootif: "52:54:00:00:00:02" }), present).map((i) => i.name)).toEqual(["eth1"]);
    expect(pickCandidates(wantedInterface({ bootif: "52:54:00:00:00:0A" }), present)).toEqual([]);
  });

  it("lets ip=...:<device>: win over BOOTIF", () => {
    expect(pickCandidates(wantedInterface({ bootif: "52:54:00:00:00:02", device: "ib0" }), present).map((i) => i.name)).toEqual(["ib0"]);
  });

  it("takes the VLAN of vlan= over BOOTIF (the parent shares its MAC), and ip='s device over both", () => {
    const withVlan = [...present, nic("eth1.100", "52:54:00:00:00:02")];
    const wanted = wantedInterface({ bootif: "52:54:00:00:00:02", made: { name: "eth1.100", kind: "vlan" } });
    expect(wanted).toEqual({ kind: "name", name: "eth1.100", why: "vlan=" });
    expect(pickCandidates(wanted, withVlan).map((i) => i.name)).toEqual(["eth1.100"]);
    expect(wantedInterface({ device: "eth1.100", made: { name: "eth1.100", kind: "vlan" } })).toEqual({ kind: "name", name: "eth1.100", why: "ip=" });
  });

  it("describes what it saw for the error message", () => {
    expect(describePresent(present.slice(0, 2))).toBe("lo (00:00:00:00:00:00, type 772), eth0 (52:54:00:00:00:01, type 1)");
    expect(describePresent([])).toBe("no network interfaces at all");
  });
});
