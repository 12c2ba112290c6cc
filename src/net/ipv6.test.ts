import { describe, expect, it } from "vitest";
import { addressState, hasDefaultRoute6, ipv6Text, urlHasIpv6Host, usableGlobalAddresses, usableLinkLocal, waitForIpv6 } from "./ipv6";

// As the kernel lists them: loopback, a link-local, a global one still in DAD, one that failed
// DAD, and the SLAAC address QEMU's network gives.
const IF_INET6 = [
  "00000000000000000000000000000001 01 80 10 80       lo",
  "fe80000000000000505400fffe123456 02 40 20 80     eth0",
  "20010db8000000000000000000000005 02 40 00 c0     eth0",
  "20010db8000000000000000000000006 02 40 00 88     eth0",
  "fec0000000000000505400fffe123456 02 40 40 00     eth0",
  "fd000000000000000000000000000002 03 40 00 82     eth1",
].join("\n");

describe("IPv6 addresses from /proc/net/if_inet6", () => {
  it("keeps global (and site-local) addresses that passed duplicate address detection, written as RFC 5952 says", () => {
    expect(usableGlobalAddresses(IF_INET6)).toEqual([
      { address: "fec0::5054:ff:fe12:3456", prefix: 64, iface: "eth0" },
      { address: "fd00::2", prefix: 64, iface: "eth1" },
    ]);
    expect(usableGlobalAddresses("garbage\n\n")).toEqual([]);
    expect(usableGlobalAddresses("20010db8000000010000000000000000 02 30 00 80 eth0")[0].address).toBe("2001:db8:0:1::");
    expect(usableGlobalAddresses("20010db8000100000000000100000001 02 40 00 80 eth0")[0].address).toBe("2001:db8:1::1:0:1");
  });

  it("waits for the interface's address, or gives up after the timeout", async () => {
    let reads = 0;
    const read = () => (++reads < 3 ? IF_INET6.split("\n").slice(0, 3).join("\n") : IF_INET6);
    expect(await waitForIpv6("eth0", 5000, read)).toEqual({ address: "fec0::5054:ff:fe12:3456", prefix: 64, iface: "eth0" });
    expect(reads).toBe(3);
    const t0 = Date.now();
    expect(await waitForIpv6("eth2", 300, () => IF_INET6)).toBeNull();
    expect(Date.now() - t0).toBeGreaterThanOrEqual(300);
    expect(await waitForIpv6("eth0", 300, () => { throw new Error("ENOENT"); })).toBeNull();
  });

  it("tells a URL whose server is an IPv6 address", () => {
    expect(urlHasIpv6Host("http://[fec0::2]:8080/base.tar.zst")).toBe(true);
    expect(urlHasIpv6Host("https://user:pw@[2001:db8::1]/x")).toBe(true);
    expect(urlHasIpv6Host("http://srv/[x].tar")).toBe(false);
    expect(urlHasIpv6Host("http://10.0.0.1/a")).toBe(false);
  });
});

describe("what DHCPv6 waits for", () => {
  it("the link-local address once DAD has passed it, and the verdict on an address", () => {
    expect(usableLinkLocal(IF_INET6, "eth0")).toBe("fe80::5054:ff:fe12:3456");
    expect(usableLinkLocal(IF_INET6.replace("02 40 20 80     eth0", "02 40 20 c0     eth0"), "eth0")).toBeNull();
    // Optimistic (RFC 4429): tentative, but it may send.
    expect(usableLinkLocal(IF_INET6.replace("02 40 20 80     eth0", "02 40 20 c4     eth0"), "eth0")).toBe("fe80::5054:ff:fe12:3456");
    expect(usableLinkLocal(IF_INET6.replace("02 40 20 80     eth0", "02 40 20 cc     eth0"), "eth0")).toBeNull();
    expect(usableLinkLocal(IF_INET6, "eth1")).toBeNull();
    expect(addressState(IF_INET6, "eth0", "2001:db8::5")).toBe("tentative");
    expect(addressState(IF_INET6, "eth0", "2001:db8::6")).toBe("dadfailed");
    expect(addressState(IF_INET6, "eth0", "fec0::5054:ff:fe12:3456")).toBe("usable");
    expect(addressState(IF_INET6, "eth1", "2001:db8::5")).toBe("missing");
    expect(ipv6Text(Buffer.from("fd770000000000000000000000000142", "hex"))).toBe("fd77::142");
  });

  it("a default route through the interface, from /proc/net/ipv6_route", () => {
    // As this kernel lists them: on-link prefixes, then the router's default route.
    const routes = [
      "fd000000000000000000000000000000 40 00000000000000000000000000000000 00 00000000000000000000000000000000 00000100 00000001 00000000 00000001     eth0",
      "fe800000000000000000000000000000 40 00000000000000000000000000000000 00 00000000000000000000000000000000 00000100 00000002 00000000 00000001     eth0",
      "00000000000000000000000000000000 00 00000000000000000000000000000000 00 fe800000000000000000000000000001 00000400 00000002 00000000 00450003     eth0",
    ].join("\n");
    expect(hasDefaultRoute6(routes, "eth0")).toBe(true);
    expect(hasDefaultRoute6(routes, "eth1")).toBe(false);
    expect(hasDefaultRoute6(routes.split("\n").slice(0, 2).join("\n"), "eth0")).toBe(false);
  });
});
