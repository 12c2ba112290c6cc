import { describe, expect, it } from "vitest";
import { INFINITE_LEASE, leaseFromAck } from "./ack";
import { defaultClientId, discover, parseMac } from "./messages";
import { encodeClasslessRoutes, ipBytes, Opt, u16Bytes, u32Bytes } from "./options";
import { BOOTREPLY, type DhcpPacket } from "./packet";

function reply(options: [number, Buffer][], yiaddr = "192.168.5.20"): DhcpPacket {
  const mac = parseMac("02:00:00:00:00:01");
  const p = discover({ mac, clientId: defaultClientId(mac), vendorClass: "x", maxMessageSize: 576 }, 1, 0);
  p.op = BOOTREPLY;
  p.yiaddr = yiaddr;
  p.options = new Map([[Opt.MESSAGE_TYPE, Buffer.from([5])], ...options]);
  return p;
}

describe("leaseFromAck", () => {
  it("splits a fully qualified option 12 into host name and domain", () => {
    const { lease } = leaseFromAck(reply([[Opt.HOSTNAME, Buffer.from("n1.rack4.example.")]]), "eth0", "m", 0);
    expect(lease.hostname).toBe("n1");
    expect(lease.domain).toBe("rack4.example");
  });

  it("takes option 17, the root path, for root=dhcp (trailing NULs and blanks dropped); none when absent or empty", () => {
    const { lease } = leaseFromAck(reply([[Opt.ROOT_PATH, Buffer.from("http://srv/base.tar.zst,http://srv/%hostname.tar.gz\0")]]), "eth0", "m", 0);
    expect(lease.rootPath).toBe("http://srv/base.tar.zst,http://srv/%hostname.tar.gz");
    expect("rootPath" in leaseFromAck(reply([]), "eth0", "m", 0).lease).toBe(false);
    expect("rootPath" in leaseFromAck(reply([[Opt.ROOT_PATH, Buffer.from("  ")]]), "eth0", "m", 0).lease).toBe(false);
  });

  it("takes option 7's log servers (syslog), none when absent, and names a malformed list", () => {
    const both = Buffer.concat([ipBytes("10.0.0.7"), ipBytes("10.0.0.8")]);
    expect(leaseFromAck(reply([[Opt.LOG_SERVER, both]]), "eth0", "m", 0).lease.logServers).toEqual(["10.0.0.7", "10.0.0.8"]);
    expect("logServers" in leaseFromAck(reply([]), "eth0", "m", 0).lease).toBe(false);
    const bad = leaseFromAck(reply([[Opt.LOG_SERVER, Buffer.from([10, 0, 0])]]), "eth0", "m", 0);
    expect("logServers" in bad.lease).toBe(false);
    expect(bad.problems.join("; ")).toMatch(/option 7/);
  });

  it("keeps option 15 over the domain of an FQDN in option 12", () => {
    const { lease } = leaseFromAck(reply([[Opt.HOSTNAME, Buffer.from("n1.other")], [Opt.DOMAIN_NAME, Buffer.from("lab.test")]]), "eth0", "m", 0);
    expect([lease.hostname, lease.domain]).toEqual(["n1", "lab.test"]);
  });

  it("ignores unusable values and says why, keeping the lease", () => {
    const { lease, problems } = leaseFromAck(
      reply([
        [Opt.HOSTNAME, Buffer.from("bad name;rm -rf")],
        [Opt.MTU, u16Bytes(40)],
        [Opt.SUBNET_MASK, ipBytes("255.0.255.0")],
        [Opt.ROUTER, Buffer.from([1, 2, 3])],
      ]),
      "eth0",
      "m",
      0,
    );
    expect(lease.hostname).toBeUndefined();
    expect(lease.mtu).toBeUndefined();
    expect(lease.prefix).toBe(24); // classful default for 192.168.x.x
    expect(lease.gateway).toBeUndefined();
    expect(problems).toHaveLength(4);
    for (const what of [/option 12: ignoring invalid host name/, /option 26: ignoring MTU 40/, /option 1: netmask 255.0.255.0 is not contiguous/, /option 3: expected a multiple of 4/]) {
      expect(problems.some((p) => what.test(p))).toBe(true);
    }
  });

  it("takes the default route from option 121 and ignores option 3 when both are sent (RFC 3442)", () => {
    const routes = [
      { dst: "10.88.0.0", prefix: 16, gateway: "192.168.5.254" },
      { dst: "0.0.0.0", prefix: 0, gateway: "192.168.5.1" },
    ];
    const both = leaseFromAck(reply([[Opt.ROUTER, ipBytes("192.168.5.99")], [Opt.CLASSLESS_ROUTES, encodeClasslessRoutes(routes)]]), "e", "m", 0);
    expect(both.lease).toMatchObject({ gateway: "192.168.5.1", routes: [routes[0]] });
    expect(both.problems).toEqual([]);
    // Routes but no default among them: no default route at all, whatever option 3 says.
    const noDefault = leaseFromAck(reply([[Opt.ROUTER, ipBytes("192.168.5.99")], [Opt.CLASSLESS_ROUTES, encodeClasslessRoutes([routes[0]])]]), "e", "m", 0).lease;
    expect([noDefault.gateway, noDefault.routes]).toEqual([undefined, [routes[0]]]);
    // A malformed option 121 is reported and the router option is used.
    const bad = leaseFromAck(reply([[Opt.ROUTER, ipBytes("192.168.5.99")], [Opt.CLASSLESS_ROUTES, Buffer.from([40, 1])]]), "e", "m", 0);
    expect([bad.lease.gateway, bad.lease.routes, bad.problems]).toEqual(["192.168.5.99", undefined, ["DHCP option 121: prefix length 40 (at most 32)"]]);
    // A default route on the link itself (router 0.0.0.0) is a route, not a gateway.
    const onLink = { dst: "0.0.0.0", prefix: 0, gateway: "0.0.0.0" };
    const direct = leaseFromAck(reply([[Opt.CLASSLESS_ROUTES, encodeClasslessRoutes([onLink])]]), "e", "m", 0).lease;
    expect([direct.gateway, direct.routes]).toEqual([undefined, [onLink]]);
  });

  it("derives T1/T2 from the lease time when absent or inconsistent", () => {
    const a = leaseFromAck(reply([[Opt.LEASE_TIME, u32Bytes(3600)]]), "e", "m", 0).lease;
    expect([a.renewalTime, a.rebindTime]).toEqual([1800, 3150]);
    const b = leaseFromAck(reply([[Opt.LEASE_TIME, u32Bytes(100)], [Opt.RENEWAL_TIME, u32Bytes(90)], [Opt.REBINDING_TIME, u32Bytes(80)]]), "e", "m", 0).lease;
    expect(b.rebindTime).toBe(80);
    expect(b.renewalTime).toBe(50);
    const inf = leaseFromAck(reply([]), "e", "m", 0).lease;
    expect(inf.leaseTime).toBe(INFINITE_LEASE);
    expect(inf.renewalTime).toBeUndefined();
  });

  it("falls back to the sender for a missing server identifier, refuses yiaddr 0.0.0.0", () => {
    expect(leaseFromAck(reply([]), "e", "m", 0, "192.168.5.1").lease.serverId).toBe("192.168.5.1");
    expect(() => leaseFromAck(reply([], "0.0.0.0"), "e", "m", 0)).toThrow(/no address/);
  });
});
