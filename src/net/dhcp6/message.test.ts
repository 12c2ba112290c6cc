import { describe, expect, it } from "vitest";
import { askFor, decodeMessage6, Dhcp6FormatError, duidLl, encodeMessage6, grantedAddress, Msg6, readNames, readServerMessage, solicit, Status6 } from "./message";

// Captured from dnsmasq 2.90 (Debian 12) in a network namespace, answering our SOLICIT and REQUEST:
// --dhcp-range=fd77::100,fd77::1ff,64,1h --dhcp-option=option6:dns-server,[fd77::53]
// --dhcp-option=option6:domain-search,cluster.test --dhcp-option=option6:ntp-server,[fd77::123]
// --dhcp-host=id:00:03:00:01:52:54:00:12:34:56,[fd77::142],node61
const ADVERTISE =
  "021234560001000a000300015254001234560002000e0001000132a133fa7e65f2953f7200030028001234560000070800000c4e00050018fd7700000000000000000000000001420000" +
  "0e1000000e10000d000900007375636365737300070001000038001400010010fd7700000000000000000000000001230018000e07636c757374657204746573740000170010fd77000000" +
  "00000000000000000000530027000803066e6f64653631";
const REPLY =
  "076543210001000a000300015254001234560002000e0001000132a133fa7e65f2953f7200030028001234560000070800000c4e00050018fd7700000000000000000000000001420000" +
  "0e1000000e10000d00090000737563636573730038001400010010fd7700000000000000000000000001230018000e07636c757374657204746573740000170010fd7700000000000000" +
  "000000000000530027000803066e6f64653631";

const MAC = Buffer.from("525400123456", "hex");
const id = { duid: duidLl(MAC), iaid: 0x00123456, hostname: "node61.cluster.test" };

describe("DHCPv6 messages", () => {
  it("builds the SOLICIT dnsmasq answered: DUID-LL, elapsed time, ORO, a partial Client FQDN, an empty IA_NA", () => {
    expect(encodeMessage6(solicit(id, 0x123456, 0)).toString("hex")).toBe(
      [
        "01", "123456",
        "0001000a", "00030001525400123456", // CLIENTID: DUID-LL, Ethernet, the MAC
        "00080002", "0000", // ELAPSED_TIME
        "00060008", "0017001800380" + "01f", // ORO: DNS, domain list, NTP, SNTP
        "00270008", "04", "066e6f64653631", // CLIENT_FQDN: N bit, "node61" without its domain
        "0003000c", "00123456", "00000000", "00000000", // IA_NA: IAID, T1 0, T2 0
      ].join(""),
    );
  });

  it("reads dnsmasq's ADVERTISE and REPLY: the address, its times, DNS, search list, NTP, the name", () => {
    for (const [hex, type, xid] of [[ADVERTISE, Msg6.ADVERTISE, 0x123456], [REPLY, Msg6.REPLY, 0x654321]] as const) {
      const s = readServerMessage(decodeMessage6(Buffer.from(hex, "hex")), 0x00123456);
      expect(s).toMatchObject({ type, xid, dns: ["fd77::53"], search: ["cluster.test"], ntp: ["fd77::123"], fqdn: "node61" });
      expect(s.clientDuid?.equals(id.duid)).toBe(true);
      expect(s.serverDuid?.toString("hex")).toBe("0001000132a133fa7e65f2953f72");
      expect(s.ia).toMatchObject({ iaid: 0x00123456, t1: 1800, t2: 3150 });
      expect(s.status).toEqual({ code: Status6.SUCCESS, message: "success" });
      expect(grantedAddress(s)).toEqual({ address: "fd77::142", preferred: 3600, valid: 3600 });
    }
  });

  it("asks for the advertised address from the advertising server, and for RENEW/REBIND without a server", () => {
    const s = readServerMessage(decodeMessage6(Buffer.from(ADVERTISE, "hex")), 0x00123456);
    const request = decodeMessage6(encodeMessage6(askFor(Msg6.REQUEST, id, 0x654321, 150, "fd77::142", s.serverDuid)));
    expect(request.options.map(([c]) => c)).toEqual([1, 2, 8, 6, 39, 3]);
    expect(request.options[2][1].readUInt16BE(0)).toBe(150);
    expect(request.options[5][1].toString("hex")).toBe("00123456" + "00000000" + "00000000" + "00050018" + "fd770000000000000000000000000142" + "00000000" + "00000000");
    const rebind = decodeMessage6(encodeMessage6(askFor(Msg6.REBIND, id, 1, 0, "fd77::142")));
    expect(rebind.type).toBe(6);
    expect(rebind.options.some(([c]) => c === 2)).toBe(false);
  });

  it("says why no address was given: a status for the message, the IA or the address", () => {
    const read = (statusOpts: string) => readServerMessage(decodeMessage6(Buffer.from(`07000001${statusOpts}`, "hex")), 7);
    expect(grantedAddress(read("000d000f0002" + Buffer.from("no addresses!").toString("hex")))).toEqual({ refused: { code: 2, message: "no addresses!" } });
    // IA_NA for IAID 7 with a NoBinding status inside.
    expect(grantedAddress(read("00030012" + "00000007" + "00000000" + "00000000" + "000d00020003"))).toEqual({ refused: { code: 3, message: "" } });
    // Another client's IA only: none for us.
    expect(grantedAddress(read("0003000c" + "00000008" + "00000000" + "00000000"))).toEqual({ refused: { code: 2, message: "no address for us in the message" } });
  });

  it("refuses truncated messages and names, and reads partial and full names", () => {
    expect(() => decodeMessage6(Buffer.from("0700", "hex"))).toThrow(Dhcp6FormatError);
    expect(() => decodeMessage6(Buffer.from("07000001" + "00170010" + "fd77", "hex"))).toThrow("message: option 23 runs past the end");
    expect(readNames(Buffer.from("04746573740003666f6f0362617200", "hex"))).toEqual(["test", "foo.bar"]);
    expect(readNames(Buffer.from("066e6f64653631", "hex"))).toEqual(["node61"]);
    expect(() => readNames(Buffer.from("0a6e6f", "hex"))).toThrow("a domain name runs past its option");
  });
});
