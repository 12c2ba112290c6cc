import { describe, expect, it } from "vitest";
import { parseBenchArgs } from "./options";

describe("bench options", () => {
  it("unpacks five times and boots up to three times by default, only the tiny root, zstd and no bisection with --quick", () => {
    const full = parseBenchArgs([]);
    const quick = parseBenchArgs(["--quick"]);
    if (full === "help" || quick === "help") throw new Error("unexpected help");
    expect(full.sections).toEqual(["unpack", "boot", "memory", "size"]);
    expect(full.runs).toBe(5);
    expect(full.roots).toEqual(["tiny", "50M", "200M", "debian"]);
    expect(full.formats).toEqual(["gz", "xz", "xz-mt", "zst"]);
    expect(quick.sections).toEqual(["unpack", "boot", "size"]);
    expect(full.bootRuns).toEqual({ tiny: 3, "50M": 1, "200M": 3, debian: 1 });
    expect(quick.runs).toBe(1);
    expect(quick.bootRuns.tiny).toBe(1);
    expect(quick.roots).toEqual(["tiny"]);
    expect(quick.formats).toEqual(["zst"]);
  });

  it("names the flag and what it accepts on bad input", () => {
    expect(() => parseBenchArgs(["--only", "unpack,boots"])).toThrow(/--only unpack,boots: accepted: unpack, boot, memory, size/);
    expect(() => parseBenchArgs(["--runs", "0"])).toThrow(/--runs 0: expected a whole number ≥ 1/);
    expect(() => parseBenchArgs(["--memory", "64"])).toThrow(/--memory 64/);
    expect(parseBenchArgs(["--help"])).toBe("help");
  });
});
