import { describe, expect, it } from "vitest";
import { broadcastOf, classfulPrefix, maskFromPrefix, prefixFromMask, sameSubnet } from "./ipv4";

describe("ipv4", () => {
  it("converts masks and prefixes both ways", () => {
    for (const p of [0, 1, 8, 16, 23, 24, 30, 31, 32]) expect(prefixFromMask(maskFromPrefix(p))).toBe(p);
    expect(maskFromPrefix(20)).toBe("255.255.240.0");
    expect(() => prefixFromMask("255.0.255.0")).toThrow(/not contiguous/);
    expect(() => prefixFromMask("255.255.255.1")).toThrow(/not contiguous/);
  });

  it("computes broadcast addresses and subnets", () => {
    expect(broadcastOf("10.0.2.15", 24)).toBe("10.0.2.255");
    expect(broadcastOf("172.16.5.4", 12)).toBe("172.31.255.255");
    expect(sameSubnet("10.0.2.15", "10.0.2.2", 24)).toBe(true);
    expect(sameSubnet("10.0.2.15", "10.0.3.2", 24)).toBe(false);
    expect(sameSubnet("10.0.2.15", "10.0.3.2", 32)).toBe(false);
  });

  it("uses classful defaults like the kernel's ip=", () => {
    expect([classfulPrefix("10.1.1.1"), classfulPrefix("172.16.0.1"), classfulPrefix("192.168.1.1")]).toEqual([8, 16, 24]);
  });
});
