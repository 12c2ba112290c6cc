import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { dhcpPayloads } from "../../testing/net-pcap";
import { leaseFromAck } from "./ack";
import { decline, defaultClientId, discover, parseMac, release, requestExtend, requestSelecting } from "./messages";
import { MessageType, Opt, readString } from "./options";
import { BROADCAST_FLAG, decodePacket, encodePacket, messageType, PacketError } from "./packet";

const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
// Captured with QEMU 7.2's slirp server answering iPXE (hostname=node7, domainname=cluster.test,
// dnssearch=cluster.test,lab.cluster.test,example.org).
const slirp = dhcpPayloads(fixture("qemu-slirp.pcap"));
// Captured with tcpdump next to dnsmasq 2.90 serving tarboot's own client: a full exchange with
// every option, a unicast RENEW and its ACK, then a RENEW refused with a NAK after dnsmasq was
// restarted with another range, and the new lease.
const dnsmasq = dhcpPayloads(fixture("dnsmasq.pcap"));

const typed = (list: typeof slirp, t: MessageType) => list.filter((u) => messageType(decodePacket(u.payload)) === t);

describe("DHCP codec on QEMU's slirp server", () => {
  it("decodes the OFFER and ACK into a lease", () => {
    expect(typed(slirp, MessageType.OFFER).length).toBeGreaterThan(0);
    const ack = typed(slirp, MessageType.ACK)[0];
    expect(ack.src).toBe("10.0.2.2");
    const p = decodePacket(ack.payload);
    expect(p.op).toBe(2);
    const { lease, problems } = leaseFromAck(p, "eth0", "52:54:00:12:34:56", 1000, ack.src);
    expect(problems).toEqual([]);
    expect(lease).toMatchObject({
      address: "10.0.2.15",
      prefix: 24,
      netmask: "255.255.255.0",
      broadcast: "10.0.2.255",
      gateway: "10.0.2.2",
      dns: ["10.0.2.3"],
      hostname: "node7",
      domain: "cluster.test",
      search: ["cluster.test", "lab.cluster.test", "example.org"],
      serverId: "10.0.2.2",
      leaseTime: 86400,
      renewalTime: 43200,
      rebindTime: 75600,
      boundAt: 1000,
    });
    expect(p.chaddr.toString("hex")).toBe("525400123456");
  });

  it("follows the compression pointer in slirp's domain search list (option 119)", () => {
    const raw = decodePacket(typed(slirp, MessageType.ACK)[0].payload).options.get(Opt.DOMAIN_SEARCH)!;
    // "lab" followed by a pointer to offset 0 ("cluster.test"), rather than the name spelled out again.
    expect(raw.includes(Buffer.from([3, 0x6c, 0x61, 0x62, 0xc0, 0x00]))).toBe(true);
  });

  it("decodes the client side (iPXE) too", () => {
    const d = decodePacket(typed(slirp, MessageType.DISCOVER)[0].payload);
    expect(d.op).toBe(1);
    expect(readString(d.options.get(Opt.VENDOR_CLASS)!)).toMatch(/^PXEClient/);
    const req = decodePacket(typed(slirp, MessageType.REQUEST)[0].payload);
    expect(req.options.get(Opt.REQUESTED_IP)).toEqual(Buffer.from([10, 0, 2, 15]));
  });
});

describe("DHCP codec on dnsmasq", () => {
  it("reads every option tarboot asks for", () => {
    const ack = typed(dnsmasq, MessageType.ACK)[0];
    const { lease, problems } = leaseFromAck(decodePacket(ack.payload), "vB", "9e:74:6a:ea:c8:87", 5, ack.src);
    expect(problems).toEqual([]);
    expect(lease).toEqual({
      source: "dhcp",
      iface: "vB",
      mac: "9e:74:6a:ea:c8:87",
      address: "10.77.0.127",
      prefix: 24,
      netmask: "255.255.255.0",
      broadcast: "10.77.0.255",
      gateway: "10.77.0.1",
      dns: ["10.77.0.53", "10.77.0.54"],
      domain: "cluster.test",
      search: ["cluster.test", "lab.cluster.test"],
      hostname: "node42",
      ntp: ["10.77.0.123"],
      mtu: 1400,
      serverId: "10.77.0.1",
      leaseTime: 120,
      renewalTime: 3,
      rebindTime: 6,
      boundAt: 5,
    });
  });

  it("has the server broadcast to a client without an address, and unicast once it has one", () => {
    const offer = typed(dnsmasq, MessageType.OFFER)[0];
    expect(offer.dst).toBe("255.255.255.255");
    const renewAck = dnsmasq.find((u) => u.src === "10.77.0.1" && u.dst === "10.77.0.127")!;
    expect(messageType(decodePacket(renewAck.payload))).toBe(MessageType.ACK);
  });

  it("decodes the NAK and its message", () => {
    const nak = decodePacket(typed(dnsmasq, MessageType.NAK)[0].payload);
    expect(readString(nak.options.get(Opt.MESSAGE)!)).toBe("address not available");
    expect(nak.yiaddr).toBe("0.0.0.0");
  });

  it("re-encodes tarboot's own captured requests byte for byte", () => {
    const ours = dnsmasq.filter((u) => u.srcPort === 68);
    expect(ours.length).toBeGreaterThanOrEqual(6);
    for (const u of ours) expect(encodePacket(decodePacket(u.payload)).equals(u.payload)).toBe(true);
  });

  it("sent RENEW unicast with ciaddr and no broadcast flag, server id or requested address", () => {
    const renew = dnsmasq.find((u) => u.srcPort === 68 && u.dst === "10.77.0.1")!;
    const p = decodePacket(renew.payload);
    expect(messageType(p)).toBe(MessageType.REQUEST);
    expect(p.ciaddr).toBe("10.77.0.127");
    expect(p.flags & BROADCAST_FLAG).toBe(0);
    expect(p.options.has(Opt.SERVER_ID)).toBe(false);
    expect(p.options.has(Opt.REQUESTED_IP)).toBe(false);
  });
});

describe("client messages", () => {
  const mac = parseMac("52:54:00:aa:bb:cc");
  const id = { mac, clientId: defaultClientId(mac), hostname: "node9", vendorClass: "tarboot", maxMessageSize: 1500 };

  it("DISCOVER: broadcast flag, client id, vendor class, host name, parameter list, 300-byte minimum", () => {
    const buf = encodePacket(discover(id, 0x12345678, 3));
    expect(buf.length).toBe(300);
    const p = decodePacket(buf);
    expect(p.xid).toBe(0x12345678);
    expect(p.secs).toBe(3);
    expect(p.flags).toBe(BROADCAST_FLAG);
    expect(p.ciaddr).toBe("0.0.0.0");
    expect(p.chaddr.equals(mac)).toBe(true);
    expect(messageType(p)).toBe(MessageType.DISCOVER);
    expect(p.options.get(Opt.CLIENT_ID)).toEqual(Buffer.from([1, 0x52, 0x54, 0, 0xaa, 0xbb, 0xcc]));
    expect(readString(p.options.get(Opt.VENDOR_CLASS)!)).toBe("tarboot");
    expect(readString(p.options.get(Opt.HOSTNAME)!)).toBe("node9");
    expect([...p.options.get(Opt.PARAMETER_LIST)!]).toEqual(expect.arrayContaining([1, 3, 6, 12, 15, 26, 28, 42, 51, 58, 59, 119, 121]));
    expect(p.options.get(Opt.MAX_MESSAGE_SIZE)!.readUInt16BE(0)).toBe(1500);
    // The message type leads the options.
    expect(buf.subarray(240, 243)).toEqual(Buffer.from([53, 1, 1]));
  });

  it("REQUEST in SELECTING names the offer and the server", () => {
    const p = decodePacket(encodePacket(requestSelecting(id, 7, 0, "10.1.2.3", "10.1.2.1")));
    expect(p.options.get(Opt.REQUESTED_IP)).toEqual(Buffer.from([10, 1, 2, 3]));
    expect(p.options.get(Opt.SERVER_ID)).toEqual(Buffer.from([10, 1, 2, 1]));
    expect(p.ciaddr).toBe("0.0.0.0");
  });

  it("REQUEST for RENEWING/REBINDING carries ciaddr and expects unicast", () => {
    const p = decodePacket(encodePacket(requestExtend(id, 7, 0, "10.1.2.3")));
    expect(p.ciaddr).toBe("10.1.2.3");
    expect(p.flags).toBe(0);
  });

  it("RELEASE names the server and the address", () => {
    const p = decodePacket(encodePacket(release(id, 9, "10.1.2.3", "10.1.2.1")));
    expect(messageType(p)).toBe(MessageType.RELEASE);
    expect(p.ciaddr).toBe("10.1.2.3");
    expect(p.options.get(Opt.SERVER_ID)).toEqual(Buffer.from([10, 1, 2, 1]));
  });

  it("DECLINE names the address, the server and why, without an address of its own or a parameter list (RFC 2131 table 5)", () => {
    const p = decodePacket(encodePacket(decline(id, 11, "10.1.2.3", "10.1.2.1", "address in use by 02:00:00:00:00:09")));
    expect(messageType(p)).toBe(MessageType.DECLINE);
    expect(p.xid).toBe(11);
    expect(p.ciaddr).toBe("0.0.0.0");
    expect(p.options.get(Opt.REQUESTED_IP)).toEqual(Buffer.from([10, 1, 2, 3]));
    expect(p.options.get(Opt.SERVER_ID)).toEqual(Buffer.from([10, 1, 2, 1]));
    expect(p.options.get(Opt.MESSAGE)?.toString()).toBe("address in use by 02:00:00:00:00:09");
    expect(p.options.has(Opt.PARAMETER_LIST)).toBe(false);
  });

  it("splits and rejoins options longer than 255 bytes (RFC 3396)", () => {
    const p = discover(id, 1, 0);
    const long = Buffer.alloc(600, 0x61);
    p.options.set(Opt.DOMAIN_SEARCH, long);
    const buf = encodePacket(p);
    expect(decodePacket(buf).options.get(Opt.DOMAIN_SEARCH)).toEqual(long);
  });
});

describe("decoding edge cases", () => {
  const base = () => {
    const mac = parseMac("02:00:00:00:00:01");
    return encodePacket(discover({ mac, clientId: defaultClientId(mac), vendorClass: "x", maxMessageSize: 576 }, 1, 0));
  };

  it("follows option overload (52) into the file and sname fields", () => {
    const buf = Buffer.from(base());
    // Replace the options with: overload=3, end; put the hostname in `file`, the domain in `sname`.
    buf.fill(0, 240);
    Buffer.from([52, 1, 3, 53, 1, 5, 255]).copy(buf, 240);
    Buffer.from([12, 4, ...Buffer.from("host"), 255]).copy(buf, 108);
    Buffer.from([15, 4, ...Buffer.from("dom1"), 255]).copy(buf, 44);
    const p = decodePacket(buf);
    expect(readString(p.options.get(Opt.HOSTNAME)!)).toBe("host");
    expect(readString(p.options.get(Opt.DOMAIN_NAME)!)).toBe("dom1");
    expect(p.file).toBe("");
    expect(p.sname).toBe("");
  });

  it("rejects truncated packets, a missing magic cookie and options running off the end", () => {
    expect(() => decodePacket(Buffer.alloc(100))).toThrow(PacketError);
    const noCookie = Buffer.from(base());
    noCookie.writeUInt32BE(0, 236);
    expect(() => decodePacket(noCookie)).toThrow(/magic cookie/);
    const overrun = Buffer.from(base().subarray(0, 244));
    overrun[240] = 12;
    overrun[241] = 50;
    expect(() => decodePacket(overrun)).toThrow(/runs past the end/);
  });
});
