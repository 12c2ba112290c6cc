import { describe, expect, it } from "vitest";
import { Invalid } from "./errors";
import { parseIp } from "./ip";

function problems(value: string): string[] {
  try {
    parseIp(value);
  } catch (err) {
    expect(err).toBeInstanceOf(Invalid);
    return (err as Invalid).problems;
  }
  throw new Error(`ip=${value} did not throw`);
}

describe("parseIp: one-word forms", () => {
  it("reads dhcp, on, any and both as DHCP on every interface", () => {
    for (const w of ["dhcp", "on", "any", "both"]) expect(parseIp(w)).toEqual({ ip: { mode: "dhcp" } });
  });

  it("reads off and none as no network", () => {
    expect(parseIp("off")).toEqual({ ip: { mode: "off" } });
    expect(parseIp("none")).toEqual({ ip: { mode: "off" } });
  });

  it("reads a bare ip and an empty ip= as autoconfiguration, like the kernel", () => {
    expect(parseIp(undefined as unknown as string)).toEqual({ ip: { mode: "dhcp" } });
    expect(parseIp("")).toEqual({ ip: { mode: "dhcp" } });
  });

  it("refuses bootp and rarp, which tarboot cannot speak", () => {
    expect(problems("bootp")).toEqual(["bootp is not supported (only DHCP)"]);
    expect(problems("rarp")).toEqual(["rarp is not supported (only DHCP)"]);
  });

  it("reads dhcp6 and auto6 (dracut's words) as IPv6-only modes, alone or as the autoconf field with a device", () => {
    expect(parseIp("dhcp6")).toEqual({ ip: { mode: "dhcp6" } });
    expect(parseIp(":::::eth0:dhcp6")).toEqual({ ip: { mode: "dhcp6", device: "eth0" } });
    expect(parseIp("auto6")).toEqual({ ip: { mode: "auto6" } });
    expect(parseIp(":::::eth1:auto6")).toEqual({ ip: { mode: "auto6", device: "eth1" } });
    expect(problems("10.0.0.5:::::eth0:dhcp6")).toEqual([
      "a client address (10.0.0.5) with autoconf dhcp6: give either the address with autoconf off, or no address with dhcp",
    ]);
  });

  it("names an unknown word", () => {
    expect(problems("link6")).toEqual(['"link6" is neither one of dhcp, dhcp6, auto6, on, any, both, off, none nor an IPv4 address']);
    expect(problems("auto")).toEqual(['"auto" is neither one of dhcp, dhcp6, auto6, on, any, both, off, none nor an IPv4 address']);
    expect(problems(":::::eth0:slaac")).toEqual(['autoconf "slaac" is not one of dhcp, dhcp6, auto6, on, any, both, off, none']);
  });
});

describe("parseIp: the colon form", () => {
  it("reads DHCP on one device, with a hostname", () => {
    expect(parseIp(":::::eth0:dhcp")).toEqual({ ip: { mode: "dhcp", device: "eth0" } });
    expect(parseIp("::::node5:enp1s0:dhcp")).toEqual({ ip: { mode: "dhcp", device: "enp1s0" }, hostname: "node5" });
    expect(parseIp("::::::")).toEqual({ ip: { mode: "dhcp" } });
    expect(parseIp(":::::eth0:")).toEqual({ ip: { mode: "dhcp", device: "eth0" } });
    expect(parseIp(":::::eth0:any")).toEqual({ ip: { mode: "dhcp", device: "eth0" } });
  });

  it("reads a full static configuration", () => {
    expect(parseIp("10.0.0.5:10.0.0.2:10.0.0.1:255.255.255.0:node5:eth0:off:10.0.0.53:10.0.0.54:10.0.0.123")).toEqual({
      ip: {
        mode: "static",
        client: "10.0.0.5",
        server: "10.0.0.2",
        gateway: "10.0.0.1",
        netmask: "255.255.255.0",
        hostname: "node5",
        device: "eth0",
        dns: ["10.0.0.53", "10.0.0.54"],
        ntp: "10.0.0.123",
      },
      hostname: "node5",
    });
  });

  it("reads a sparse static configuration with none or an empty autoconf", () => {
    expect(parseIp("192.168.1.20:::255.255.255.0::eth1:none")).toEqual({
      ip: { mode: "static", client: "192.168.1.20", netmask: "255.255.255.0", device: "eth1", dns: [] },
    });
    expect(parseIp("192.168.1.20::192.168.1.1:24")).toEqual({
      ip: { mode: "static", client: "192.168.1.20", gateway: "192.168.1.1", netmask: "255.255.255.0", dns: [] },
    });
  });

  it("gives a client address without a netmask the classful mask, as the kernel does", () => {
    expect(parseIp("10.1.2.3")).toEqual({ ip: { mode: "static", client: "10.1.2.3", netmask: "255.0.0.0", dns: [] } });
    expect(parseIp("172.16.5.5::::::off")).toMatchObject({ ip: { netmask: "255.255.0.0" } });
  });

  it("accepts the netmask as a prefix length, with or without /", () => {
    expect(parseIp("10.0.0.5:::/20::eth0:off")).toMatchObject({ ip: { netmask: "255.255.240.0" } });
  });

  it("treats ::::::off as off, keeping the hostname", () => {
    expect(parseIp("::::box::off")).toEqual({ ip: { mode: "off" }, hostname: "box" });
  });

  it("rejects ip=1.2.3", () => {
    expect(problems("1.2.3")).toEqual(['client-ip "1.2.3" is not an IPv4 address (four numbers 0-255, dotted)']);
  });

  it("reports every bad field at once", () => {
    expect(problems("10.0.0.256:x:10.0.0.1:255.0.255.0:-bad-:eth/0:bootp:1.2.3.4.5::ntp")).toEqual([
      'client-ip "10.0.0.256" is not an IPv4 address (four numbers 0-255, dotted)',
      'server-ip "x" is not an IPv4 address (four numbers 0-255, dotted)',
      'netmask "255.0.255.0" has non-contiguous bits',
      'label "-bad-" is not letters, digits and inner hyphens',
      'device "eth/0" is not an interface name',
      "autoconf bootp is not supported (only DHCP)",
      'dns0-ip "1.2.3.4.5" is not an IPv4 address (four numbers 0-255, dotted)',
      'ntp0-ip "ntp" is not an IPv4 address (four numbers 0-255, dotted)',
    ]);
  });

  it("rejects an unknown autoconf word and too many fields", () => {
    expect(problems(":::::eth0:static")).toEqual(['autoconf "static" is not one of dhcp, dhcp6, auto6, on, any, both, off, none']);
    expect(problems("1.2.3.4::::::::::extra")).toEqual(["11 fields, at most 10"]);
  });

  it("refuses a client address with DHCP instead of silently going static", () => {
    expect(problems("10.0.0.5:::255.255.255.0::eth0:dhcp")).toEqual([
      "a client address (10.0.0.5) with autoconf dhcp: give either the address with autoconf off, or no address with dhcp",
    ]);
  });

  it("refuses static-only fields without a client address", () => {
    expect(problems("::10.0.0.1:255.255.255.0::eth0:dhcp:10.0.0.53")).toEqual([
      "netmask, gw-ip, dns0-ip without a client address: DHCP brings its own; the first field is the client address",
    ]);
  });
});

describe("parseIp: static IPv6, in brackets as dracut writes it", () => {
  it("reads client, gateway, prefix length, device and DNS servers", () => {
    expect(parseIp("[fd00:10::5]::[fd00:10::1]:64:node5:eth0:none:[fd00:10::53]:[fd00:10::54]")).toEqual({
      ip: { mode: "static", family: 6, client: "fd00:10::5", gateway: "fd00:10::1", netmask: "64", hostname: "node5", device: "eth0", dns: ["fd00:10::53", "fd00:10::54"] },
      hostname: "node5",
    });
    // A link-local router (what router advertisements name) and a prefix written /64; upper case is folded.
    expect(parseIp("[2001:DB8::5]::[fe80::1]:/64:::off").ip).toMatchObject({ client: "2001:db8::5", gateway: "fe80::1", netmask: "64" });
    expect(parseIp("[fd00::5]:::128").ip).toMatchObject({ mode: "static", family: 6, netmask: "128", dns: [] });
  });

  it("names what is wrong: no prefix length, mixed families, brackets left out, a bad address", () => {
    expect(problems("[fd00::5]::[fd00::1]::::off")).toEqual(["an IPv6 client address ([fd00::5]) needs its prefix length in the netmask field, e.g. 64"]);
    expect(problems("[fd00::5]::10.0.0.1:64:::off:10.0.0.53")).toEqual([
      "gw-ip 10.0.0.1 is not IPv6 like the client address [fd00::5]",
      "dns0-ip 10.0.0.53 is not IPv6 like the client address [fd00::5]",
    ]);
    expect(problems("10.0.0.5::[fd00::1]:24")).toEqual(["gw-ip fd00::1 is not IPv4 like the client address 10.0.0.5"]);
    expect(problems("[fd00::5]:::129")).toEqual(['netmask "129": an IPv6 address takes a prefix length, 1 to 128']);
    expect(problems("[fd00::5]:::255.255.255.0")).toEqual(['netmask "255.255.255.0": an IPv6 address takes a prefix length, 1 to 128']);
    expect(problems("[fd00::zz]:::64")).toEqual(['client-ip "[fd00::zz]" is not an IPv6 address']);
    expect(problems("[fe80::5%eth0]:::64")).toEqual(['client-ip "[fe80::5%eth0]" is not an IPv6 address']);
    expect(problems("[fd00::5]:::64:::dhcp6")[0]).toMatch(/^a client address \(\[fd00::5\]\) with autoconf dhcp6/);
  });
});
