import { describe, expect, it } from "vitest";
import { encodeDomainSearch, OptionError, readDomainSearch, readIpList, readString } from "./options";

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
