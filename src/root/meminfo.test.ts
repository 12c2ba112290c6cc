import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { freedMiB, memAvailableKiB } from "./meminfo";

describe("meminfo", () => {
  it("reads MemAvailable", () => {
    const text = "MemTotal:        2030464 kB\nMemFree:          101968 kB\nMemAvailable:    1641216 kB\nBuffers:            2212 kB\n";
    expect(memAvailableKiB(text)).toBe(1641216);
    expect(memAvailableKiB(readFileSync("/proc/meminfo", "utf8"))).toBeGreaterThan(0);
    expect(memAvailableKiB("MemTotal: 5 kB\n")).toBeNull();
  });

  it("turns two readings into whole MiB, never negative", () => {
    expect(freedMiB(100 * 1024, 221 * 1024 + 300)).toBe(121);
    expect(freedMiB(200 * 1024, 100 * 1024)).toBe(0);
    expect(freedMiB(null, 5)).toBeNull();
  });
});
