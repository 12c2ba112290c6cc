import { describe, expect, it } from "vitest";
import { searchCandidates } from "./dns";

describe("searchCandidates (glibc's order with ndots:1)", () => {
  it("a name without a dot: each search domain first, then the name itself", () => {
    expect(searchCandidates("bootsrv", ["lab.example.com", "example.com"])).toEqual(["bootsrv.lab.example.com", "bootsrv.example.com", "bootsrv"]);
  });

  it("no search domains: the name itself", () => {
    expect(searchCandidates("bootsrv", [])).toEqual(["bootsrv"]);
  });

  it("a name with a dot is asked for as it is, never in a search domain", () => {
    expect(searchCandidates("boot.lab", ["example.com"])).toEqual(["boot.lab"]);
  });

  it("a trailing dot means fully qualified: no search, dot dropped", () => {
    expect(searchCandidates("bootsrv.", ["example.com"])).toEqual(["bootsrv"]);
  });

  it("addresses and stray dots around a domain", () => {
    expect(searchCandidates("::1", ["example.com"])).toEqual(["::1"]);
    expect(searchCandidates("bootsrv", [".example.com."])).toEqual(["bootsrv.example.com", "bootsrv"]);
  });
});
