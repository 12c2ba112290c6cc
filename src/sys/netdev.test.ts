import { describe, expect, it } from "vitest";
import { addressAttrs, bridgeLinkAttrs, encodeMessage, ifaddrmsg, ifinfomsg, parseAck, routeAttrs, RTPROT_DHCP, vlanLinkAttrs } from "./netdev";

describe("rtnetlink messages", () => {
  it("encodes RTM_NEWADDR with header, ifaddrmsg and 4-byte aligned attributes", () => {
    const msg = encodeMessage(20, 0x405, 7, ifaddrmsg(3, 24), addressAttrs({ ifindex: 3, name: "eth0", address: "10.0.2.15", prefix: 24, broadcast: "10.0.2.255" }));
    expect(msg.toString("hex")).toBe(
      [
        "30000000", "1400", "0504", "07000000", "00000000", // nlmsghdr: len 48, RTM_NEWADDR, flags, seq, pid
        "02", "18", "00", "00", "03000000", // ifaddrmsg: AF_INET, /24, flags, scope, index 3
        "0800", "0200", "0a00020f", // IFA_LOCAL
        "0800", "0100", "0a00020f", // IFA_ADDRESS
        "0800", "0400", "0a0002ff", // IFA_BROADCAST
      ].join(""),
    );
  });

  it("encodes an IPv6 address as iproute2 does (`ip -6 addr add fd77::100/128 dev vt0`, from strace)", () => {
    const msg = encodeMessage(20, 0x605, 0x6b0e7561, ifaddrmsg(17, 128, 0, 6), addressAttrs({ ifindex: 17, name: "vt0", address: "fd77::100", prefix: 128 }));
    // iproute2 sends IFA_LOCAL then IFA_ADDRESS; the kernel reads both the same for a non-peer address.
    const bytes = msg.toString("hex");
    expect(bytes.slice(0, 64)).toBe("40000000" + "14000506" + "61750e6b" + "00000000" + "0a800000" + "11000000" + "14000200" + "fd770000");
    expect(bytes.slice(64)).toBe("0000000000000000000001001400" + "0100" + "fd770000000000000000000000000100");
  });

  it("asks for a VLAN the way iproute2 does (bytes of `ip link add link vt0 name vt0.100 type vlan id 100`, from strace)", () => {
    const msg = encodeMessage(16, 0x605, 0x6b0e71c2, ifinfomsg(0, 0, 0), vlanLinkAttrs(15, "vt0.100", 100));
    expect(msg.toString("hex")).toBe(
      [
        "4c000000 10000506 c2710e6b 00000000", // nlmsghdr: RTM_NEWLINK, REQUEST|ACK|EXCL|CREATE
        "00000000 00000000 00000000 00000000", // ifinfomsg: AF_UNSPEC, index 0
        "08000500 0f000000", // IFLA_LINK 15
        "0c000300 7674302e 31303000", // IFLA_IFNAME "vt0.100\0"
        "18001200 08000100 766c616e", // IFLA_LINKINFO { IFLA_INFO_KIND "vlan"
        "0c000200 06000100 64000000", //   IFLA_INFO_DATA { IFLA_VLAN_ID 100 } }
      ].join("").replace(/ /g, ""),
    );
  });

  it("asks for a bridge the way iproute2 does (`ip link add name br9 address 52:54:00:aa:bb:cc type bridge`, from strace)", () => {
    const msg = encodeMessage(16, 0x605, 0x6b0e1314, ifinfomsg(0, 0, 0), bridgeLinkAttrs("br9", "52:54:00:aa:bb:cc"));
    expect(msg.toString("hex")).toBe(
      [
        "44000000 10000506 14130e6b 00000000", // nlmsghdr: len 68, RTM_NEWLINK, REQUEST|ACK|EXCL|CREATE
        "00000000 00000000 00000000 00000000", // ifinfomsg: AF_UNSPEC, index 0
        "0a000100 525400aa bbcc0000", // IFLA_ADDRESS, padded
        "08000300 62723900", // IFLA_IFNAME "br9\0"
        "10001200 0a000100 62726964 67650000", // IFLA_LINKINFO { IFLA_INFO_KIND "bridge" }
      ].join("").replace(/ /g, ""),
    );
  });

  it("describes a default route via a gateway, and an on-link route without one", () => {
    const viaGw = routeAttrs({ ifindex: 2, name: "eth0", gateway: "10.0.2.2", protocol: RTPROT_DHCP });
    expect(viaGw.header.toString("hex")).toBe("020000 00fe1000 01 00000000".replace(/ /g, ""));
    expect(viaGw.attrs.map((a) => [a.type, a.data.toString("hex")])).toEqual([[5, "0a000202"], [4, "02000000"]]);
    const onLink = routeAttrs({ ifindex: 2, name: "eth0", dst: { address: "100.64.0.1", prefix: 32 }, protocol: RTPROT_DHCP });
    expect(onLink.header[1]).toBe(32);
    expect(onLink.header[6]).toBe(253); // RT_SCOPE_LINK
  });

  it("asks for an IPv6 default route as iproute2 does (`ip -6 route replace default via fd00::1 dev vt0 proto boot`, from strace)", () => {
    const { header, attrs } = routeAttrs({ ifindex: 2, name: "vt0", gateway: "fd00::1", protocol: 3 });
    // AF_INET6, dst_len 0, main table, proto boot, universe scope, unicast. (iproute2 adds RTA_DST ::, which a dst_len of 0 makes moot.)
    expect(header.toString("hex")).toBe("0a000000fe030001" + "00000000");
    expect(attrs.map((a) => [a.type, a.data.toString("hex")])).toEqual([[5, "fd000000000000000000000000000001"], [4, "02000000"]]);
  });

  it("reads the kernel's acknowledgement or error for our sequence number", () => {
    const ack = (seq: number, err: number) => {
      const b = Buffer.alloc(36);
      b.writeUInt32LE(36, 0);
      b.writeUInt16LE(2, 4); // NLMSG_ERROR
      b.writeUInt32LE(seq, 8);
      b.writeInt32LE(err, 16);
      return b;
    };
    expect(parseAck(ack(9, 0), 9)).toBe(0);
    expect(parseAck(ack(9, -17), 9)).toBe(-17);
    expect(parseAck(Buffer.concat([ack(8, -1), ack(9, -19)]), 9)).toBe(-19);
    expect(parseAck(ack(8, 0), 9)).toBeNull();
  });
});
