import { describe, expect, it } from "vitest";
import { ARP_REPLY, ARP_REQUEST, type ArpPacket, conflictingHost, decodeArp, encodeProbe } from "./arp";
import { parseMac } from "./dhcp/messages";

const OURS = "02:00:00:00:00:01";
const OTHER = "52:54:00:aa:bb:cc";

describe("ARP probe", () => {
  it("asks for the address from 0.0.0.0, as RFC 5227 2.1.1 says, so no host's cache learns from it", () => {
    const b = encodeProbe(parseMac(OURS), "10.1.2.3");
    expect(b.toString("hex")).toBe(
      "0001" + "0800" + "06" + "04" + "0001" + "020000000001" + "00000000" + "000000000000" + "0a010203",
    );
    expect(decodeArp(b)).toEqual({ op: ARP_REQUEST, senderMac: OURS, senderIp: "0.0.0.0", targetMac: "00:00:00:00:00:00", targetIp: "10.1.2.3" });
  });

  it("decodes only Ethernet/IPv4 ARP of full length", () => {
    const b = encodeProbe(parseMac(OURS), "10.1.2.3");
    expect(decodeArp(b.subarray(0, 27))).toBeNull();
    const ipv6ish = Buffer.from(b);
    ipv6ish.writeUInt16BE(0x86dd, 2);
    expect(decodeArp(ipv6ish)).toBeNull();
    // Ethernet minimum-frame padding after the 28 bytes is fine.
    expect(decodeArp(Buffer.concat([b, Buffer.alloc(18)]))?.targetIp).toBe("10.1.2.3");
  });
});

describe("which ARP packets mean the address is taken", () => {
  const pkt = (p: Partial<ArpPacket>): ArpPacket => ({
    op: ARP_REPLY,
    senderMac: OTHER,
    senderIp: "10.1.2.3",
    targetMac: OURS,
    targetIp: "0.0.0.0",
    ...p,
  });

  it("a reply from the host holding it (Linux answers a probe with target address 0.0.0.0)", () => {
    expect(conflictingHost(pkt({}), "10.1.2.3", OURS)).toBe(OTHER);
  });

  it("any request sent from the address: its holder talking, or announcing it", () => {
    expect(conflictingHost(pkt({ op: ARP_REQUEST, targetIp: "10.1.2.1", targetMac: "00:00:00:00:00:00" }), "10.1.2.3", OURS)).toBe(OTHER);
    expect(conflictingHost(pkt({ op: ARP_REQUEST, targetIp: "10.1.2.3", targetMac: "00:00:00:00:00:00" }), "10.1.2.3", OURS)).toBe(OTHER);
  });

  it("another host probing for the same address at the same time", () => {
    expect(conflictingHost(pkt({ op: ARP_REQUEST, senderIp: "0.0.0.0", targetIp: "10.1.2.3" }), "10.1.2.3", OURS)).toBe(OTHER);
  });

  it("not our own probe seen on the socket (MAC compared without regard to case), nor other addresses' traffic", () => {
    expect(conflictingHost(pkt({ op: ARP_REQUEST, senderMac: OURS, senderIp: "0.0.0.0", targetIp: "10.1.2.3" }), "10.1.2.3", OURS.toUpperCase())).toBeNull();
    expect(conflictingHost(pkt({ senderIp: "10.1.2.4" }), "10.1.2.3", OURS)).toBeNull();
    expect(conflictingHost(pkt({ op: ARP_REQUEST, senderIp: "10.1.2.9", targetIp: "10.1.2.3" }), "10.1.2.3", OURS)).toBeNull();
    // Only a request from 0.0.0.0 is a probe; a "reply" from 0.0.0.0 claims nothing.
    expect(conflictingHost(pkt({ op: ARP_REPLY, senderIp: "0.0.0.0", targetIp: "10.1.2.3" }), "10.1.2.3", OURS)).toBeNull();
  });
});
