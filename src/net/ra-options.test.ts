import { describe, expect, it } from "vitest";
import { parseNdUserOpts } from "./ra-options";

// RTM_NEWNDUSEROPT notifications a 6.18 kernel sent for one advertisement of dnsmasq 2.90
// (--dhcp-range=fd79::,ra-only,64 --dhcp-option=option6:dns-server,[fd79::53]
// --dhcp-option=option6:domain-search,ra.test): one message per option, each with the router's address.
const PREFIX =
  "540000004400000000000000000000000a002000020000008600000000000000030440c0ffffffffffffffff00000000fd79000000000000000000000000000014000100fe80000000000000541ce1fffe2594ed";
const DNSSL = "4c0000004400000000000000000000000a0018000200000086000000000000001f030000ffffffff0272610474657374000000000000000014000100fe80000000000000541ce1fffe2594ed";
const RDNSS = "4c0000004400000000000000000000000a00180002000000860000000000000019030000fffffffffd79000000000000000000000000005314000100fe80000000000000541ce1fffe2594ed";

describe("router advertisement options from rtnetlink", () => {
  it("reads RDNSS and DNSSL, the interface and the router; a prefix option carries neither", () => {
    const router = "fe80::541c:e1ff:fe25:94ed";
    expect(parseNdUserOpts(Buffer.from(RDNSS, "hex"))).toEqual([{ ifindex: 2, router, servers: ["fd79::53"], search: [] }]);
    expect(parseNdUserOpts(Buffer.from(DNSSL, "hex"))).toEqual([{ ifindex: 2, router, servers: [], search: ["ra.test"] }]);
    expect(parseNdUserOpts(Buffer.from(PREFIX, "hex"))).toEqual([{ ifindex: 2, router, servers: [], search: [] }]);
    // Several messages in one datagram.
    expect(parseNdUserOpts(Buffer.from(RDNSS + DNSSL, "hex")).map((r) => [r.servers, r.search])).toEqual([[["fd79::53"], []], [[], ["ra.test"]]]);
  });

  it("skips withdrawn servers (lifetime 0), other messages and truncated ones", () => {
    const withdrawn = RDNSS.replace("19030000ffffffff", "1903000000000000");
    expect(parseNdUserOpts(Buffer.from(withdrawn, "hex"))[0].servers).toEqual([]);
    const other = RDNSS.replace(/^4c00000044/, "4c00000010");
    expect(parseNdUserOpts(Buffer.from(other, "hex"))).toEqual([]);
    expect(parseNdUserOpts(Buffer.from(RDNSS.slice(0, 60), "hex"))).toEqual([]);
  });
});
