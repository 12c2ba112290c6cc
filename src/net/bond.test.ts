import { describe, expect, it } from "vitest";
import { parseBond } from "../cmdline/bond";
import { bondParam, optionWrites } from "./bond";

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
