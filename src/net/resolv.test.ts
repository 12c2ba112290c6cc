import { describe, expect, it } from "vitest";
import type { Lease } from "./lease";
import { resolvConf } from "./resolv";

const lease: Lease = {
  source: "dhcp", iface: "eth0", mac: "m", address: "10.0.2.15", prefix: 24, netmask: "255.255.255.0",
  dns: ["10.0.2.3", "10.0.2.4"], search: [], ntp: [], domain: "cluster.test",
};

describe("resolv.conf", () => {
  it("lists the servers and searches the domain when there is no search list", () => {
    expect(resolvConf(lease)).toBe("# written by tarboot from the DHCP lease on eth0\nsearch cluster.test\nnameserver 10.0.2.3\nnameserver 10.0.2.4\n");
  });

  it("prefers option 119's search list", () => {
    expect(resolvConf({ ...lease, search: ["a.test", "b.test"] })).toContain("search a.test b.test\n");
  });

  it("has no search line without a domain", () => {
    expect(resolvConf({ ...lease, domain: undefined, source: "static" })).toBe("# written by tarboot from the ip= configuration on eth0\nnameserver 10.0.2.3\nnameserver 10.0.2.4\n");
  });
});
