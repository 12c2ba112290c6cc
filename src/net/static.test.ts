import { describe, expect, it } from "vitest";
import { ipv6Only } from "./lease";
import { staticLease } from "./static";

describe("static ip=", () => {
  it("turns the kernel syntax fields into a lease", () => {
    const l = staticLease(
      { mode: "static", client: "192.168.10.5", server: "192.168.10.1", gateway: "192.168.10.254", netmask: "255.255.255.0", hostname: "n5.lab.test", device: "eth1", dns: ["192.168.10.2"], ntp: "192.168.10.3" },
      "eth1",
      "52:54:00:00:00:05",
    );
    expect(l).toMatchObject({
      source: "static",
      iface: "eth1",
      address: "192.168.10.5",
      prefix: 24,
      broadcast: "192.168.10.255",
      gateway: "192.168.10.254",
      dns: ["192.168.10.2"],
      hostname: "n5",
      domain: "lab.test",
      ntp: ["192.168.10.3"],
    });
    expect(l.serverId).toBeUndefined();
  });

  it("accepts a prefix length or nothing (classful) as the netmask", () => {
    expect(staticLease({ mode: "static", client: "10.1.2.3", netmask: "20", dns: [] }, "e", "m").prefix).toBe(20);
    expect(staticLease({ mode: "static", client: "10.1.2.3", netmask: "", dns: [] }, "e", "m").prefix).toBe(8);
  });

  it("names the bad field", () => {
    expect(() => staticLease({ mode: "static", client: "10.1.2", netmask: "", dns: [] }, "e", "m")).toThrow(/client address "10.1.2"/);
    expect(() => staticLease({ mode: "static", client: "10.1.2.3", netmask: "255.0.255.0", dns: [] }, "e", "m")).toThrow(/ip=: netmask 255.0.255.0 is not contiguous/);
    expect(() => staticLease({ mode: "static", client: "10.1.2.3", netmask: "24", gateway: "gw", dns: [] }, "e", "m")).toThrow(/gateway "gw"/);
    expect(() => staticLease({ mode: "static", client: "10.1.2.3", netmask: "24", dns: ["x"] }, "e", "m")).toThrow(/DNS server "x"/);
  });
});

describe("static IPv6 ip=", () => {
  it("is a lease with the address, prefix, router and DNS servers, and no IPv4 fields", () => {
    const l = staticLease({ mode: "static", family: 6, client: "fd00:10::5", gateway: "fe80::1", netmask: "64", hostname: "n5.lab.test", dns: ["fd00:10::53"] }, "eth0", "52:54:00:12:34:56");
    expect(l).toMatchObject({ source: "static", iface: "eth0", address: "fd00:10::5", prefix: 64, netmask: "", gateway: "fe80::1", dns: ["fd00:10::53"], hostname: "n5", domain: "lab.test" });
    expect(l.broadcast).toBeUndefined();
    expect(ipv6Only(l)).toBe(true);
    expect(ipv6Only(staticLease({ mode: "static", client: "10.0.0.5", netmask: "255.255.255.0", dns: [] }, "eth0", "52:54:00:12:34:56"))).toBe(false);
  });

  it("refuses what the parser would have: a bad prefix, an IPv4 router", () => {
    expect(() => staticLease({ mode: "static", family: 6, client: "fd00::5", netmask: "255.255.255.0", dns: [] }, "eth0", "m")).toThrow(/prefix length "255.255.255.0" is not 1 to 128/);
    expect(() => staticLease({ mode: "static", family: 6, client: "fd00::5", netmask: "64", gateway: "10.0.0.1", dns: [] }, "eth0", "m")).toThrow(/"10.0.0.1" is not an IPv6 address/);
  });
});
