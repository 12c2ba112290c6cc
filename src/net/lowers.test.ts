import { describe, expect, it } from "vitest";
import type { NetInterface } from "./links";
import { bootifFirst } from "./lowers";

const nic = (name: string, mac: string): NetInterface => ({ name, ifindex: 2, mac, type: 1, mtu: 1500, wireless: false, virtualMaster: false });
const eth0 = nic("eth0", "52:54:00:00:00:01");
const eth1 = nic("eth1", "52:54:00:00:00:02");
const eth2 = nic("eth2", "52:54:00:00:00:03");

describe("bootifFirst", () => {
  it("puts the slave the firmware booted from first, so that the bond or bridge has its MAC", () => {
    expect(bootifFirst([eth0, eth1, eth2], "52:54:00:00:00:02").map((s) => s.name)).toEqual(["eth1", "eth0", "eth2"]);
    expect(bootifFirst([eth0, eth1, eth2], "52:54:00:00:00:03").map((s) => s.name)).toEqual(["eth2", "eth0", "eth1"]);
  });

  it("keeps bond='s order without BOOTIF= or when BOOTIF= is none of the slaves", () => {
    expect(bootifFirst([eth1, eth0], undefined).map((s) => s.name)).toEqual(["eth1", "eth0"]);
    expect(bootifFirst([eth1, eth0], "52:54:00:00:00:09").map((s) => s.name)).toEqual(["eth1", "eth0"]);
  });
});

