import { describe, expect, it } from "vitest";
import { parseBond } from "./bond";
import { stackOrder, stackTop } from "./stack";
import { parseBridge, parseVlan } from "./values";

const names = (cfg: Parameters<typeof stackOrder>[0]) => stackOrder(cfg).map((l) => `${l.kind}:${l.name}`);

describe("stackOrder", () => {
  it("makes each interface after the ones it sits on; the last is the one the lease is sought on", () => {
    const bond = parseBond("bond0:eth0,eth1");
    expect(names({ bond, bridge: parseBridge("br0:bond0"), vlan: parseVlan("br0.5:br0") })).toEqual(["bond:bond0", "bridge:br0", "vlan:br0.5"]);
    // A bridge over a VLAN: the VLAN first, whatever the parameters' order.
    expect(names({ bond, vlan: parseVlan("bond0.100:bond0"), bridge: parseBridge("vmbr0:bond0.100") })).toEqual(["bond:bond0", "vlan:bond0.100", "bridge:vmbr0"]);
    expect(stackTop({ vlan: parseVlan("eth0.100:eth0"), bridge: parseBridge("vmbr0:eth0.100") })?.name).toBe("vmbr0");
    expect(stackTop({ bond })?.name).toBe("bond0");
    expect(stackTop({})).toBeUndefined();
  });
});
