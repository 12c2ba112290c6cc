import { describe, expect, it } from "vitest";
import { parseBond } from "../cmdline/bond";
import { bondParam, enslaveOrder, optionWrites } from "./bond";
import type { NetInterface } from "./links";

const nic = (name: string, mac: string): NetInterface => ({ name, ifindex: 2, mac, type: 1, mtu: 1500, wireless: false, virtualMaster: false });
const eth0 = nic("eth0", "52:54:00:00:00:01");
const eth1 = nic("eth1", "52:54:00:00:00:02");
const eth2 = nic("eth2", "52:54:00:00:00:03");

describe("enslaveOrder", () => {
  it("puts the slave the firmware booted from first, so that the bond has its MAC", () => {
    expect(enslaveOrder([eth0, eth1, eth2], "52:54:00:00:00:02").map((s) => s.name)).toEqual(["eth1", "eth0", "eth2"]);
    expect(enslaveOrder([eth0, eth1, eth2], "52:54:00:00:00:03").map((s) => s.name)).toEqual(["eth2", "eth0", "eth1"]);
  });

  it("keeps bond='s order without BOOTIF= or when BOOTIF= is none of the slaves", () => {
    expect(enslaveOrder([eth1, eth0], undefined).map((s) => s.name)).toEqual(["eth1", "eth0"]);
    expect(enslaveOrder([eth1, eth0], "52:54:00:00:00:09").map((s) => s.name)).toEqual(["eth1", "eth0"]);
  });
});

describe("optionWrites", () => {
  it("writes a target list as one +address each, other options as they are", () => {
    expect(optionWrites({ name: "arp_ip_target", value: "10.0.0.1;10.0.0.2" })).toEqual(["+10.0.0.1", "+10.0.0.2"]);
    expect(optionWrites({ name: "ns_ip6_target", value: "fd00::1" })).toEqual(["+fd00::1"]);
    expect(optionWrites({ name: "xmit_hash_policy", value: "layer3+4" })).toEqual(["layer3+4"]);
  });
});

describe("bondParam", () => {
  it("writes the parameter back as parsed, for messages", () => {
    expect(bondParam(parseBond("bond0:eth0,eth1:miimon=100,mode=1:9000"))).toBe("bond=bond0:eth0,eth1:mode=active-backup,miimon=100:9000");
    expect(bondParam(parseBond("bond0"))).toBe("bond=bond0:eth0,eth1");
    expect(bondParam(parseBond("bond0:eth0,eth1::1400"))).toBe("bond=bond0:eth0,eth1::1400");
  });
});
