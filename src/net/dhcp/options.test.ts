import { describe, expect, it } from "vitest";
import { encodeClasslessRoutes, encodeDomainSearch, OptionError, readClasslessRoutes, readDomainSearch, readIpList, readString } from "./options";

describe("option 119 (domain search)", () => {
  it("decodes the RFC 3397 example, with its compression pointers", () => {
    // eng.apple.com, marketing.apple.com (pointer to offset 4, "apple.com")
    const data = Buffer.from([
      3, ...Buffer.from("eng"), 5, ...Buffer.from("apple"), 3, ...Buffer.from("com"), 0,
      9, ...Buffer.from("marketing"), 0xc0, 0x04,
    ]);
    expect(readDomainSearch(data)).toEqual(["eng.apple.com", "marketing.apple.com"]);
  });

  it("round-trips its own uncompressed encoding", () => {
    const names = ["cluster.test", "a.b.c.example.org"];
    expect(readDomainSearch(encodeDomainSearch(names))).toEqual(names);
  });

  it("refuses pointer loops and names running off the end", () => {
    expect(() => readDomainSearch(Buffer.from([0xc0, 0x00]))).toThrow(OptionError);
    expect(() => readDomainSearch(Buffer.from([5, 0x61, 0x62]))).toThrow(/past the end/);
    expect(() => readDomainSearch(Buffer.from([0x80]))).toThrow(/label length/);
  });
});

describe("simple option formats", () => {
  it("reads address lists and strips trailing NULs from strings", () => {
    expect(readIpList(6, Buffer.from([10, 0, 0, 1, 10, 0, 0, 2]))).toEqual(["10.0.0.1", "10.0.0.2"]);
    expect(() => readIpList(6, Buffer.from([10, 0, 0]))).toThrow(/multiple of 4/);
    expect(readString(Buffer.from("node1\0\0"))).toBe("node1");
  });
});

describe("option 121 (classless static routes)", () => {
  it("decodes RFC 3442's compact destinations, the default route and on-link routes", () => {
    // 10.0.0.0/8 via 10.1.1.1; 10.17.0.0/16 via 10.1.1.1; 10.27.129.0/24; 10.229.0.128/25; 0/0 via 10.1.1.254; 10.5.5.0/24 on-link
    const data = Buffer.from([
      8, 10, 10, 1, 1, 1,
      16, 10, 17, 10, 1, 1, 1,
      24, 10, 27, 129, 10, 1, 1, 1,
      25, 10, 229, 0, 128, 10, 1, 1, 1,
      0, 10, 1, 1, 254,
      24, 10, 5, 5, 0, 0, 0, 0,
    ]);
    const routes = readClasslessRoutes(data);
    expect(routes).toEqual([
      { dst: "10.0.0.0", prefix: 8, gateway: "10.1.1.1" },
      { dst: "10.17.0.0", prefix: 16, gateway: "10.1.1.1" },
      { dst: "10.27.129.0", prefix: 24, gateway: "10.1.1.1" },
      { dst: "10.229.0.128", prefix: 25, gateway: "10.1.1.1" },
      { dst: "0.0.0.0", prefix: 0, gateway: "10.1.1.254" },
      { dst: "10.5.5.0", prefix: 24, gateway: "0.0.0.0" },
    ]);
    expect(encodeClasslessRoutes(routes)).toEqual(data);
  });

  it("clears host bits beyond the prefix and refuses lengths over 32 or routes cut short", () => {
    expect(readClasslessRoutes(Buffer.from([20, 10, 9, 255, 10, 0, 0, 1]))).toEqual([{ dst: "10.9.240.0", prefix: 20, gateway: "10.0.0.1" }]);
    expect(() => readClasslessRoutes(Buffer.from([33, 1, 2, 3, 4, 5, 1, 2, 3, 4]))).toThrow("DHCP option 121: prefix length 33 (at most 32)");
    expect(() => readClasslessRoutes(Buffer.from([24, 10, 0, 0, 10, 0, 0]))).toThrow("DHCP option 121: route runs past the end of the option");
  });
});
