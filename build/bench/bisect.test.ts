import { describe, expect, it } from "vitest";
import { bisectMemory, midpoint, type Probe } from "./bisect";

const machine = (needs: number) => {
  const tried: number[] = [];
  const boot = async (mib: number): Promise<Probe> => {
    tried.push(mib);
    return { memoryMiB: mib, booted: mib >= needs, seconds: 1 };
  };
  return { tried, boot };
};

describe("memory bisection", () => {
  it("brackets the minimum within the granularity from a size known to boot, in at most maxSteps boots", async () => {
    const m = machine(437);
    const r = await bisectMemory({ lowMiB: 256, highMiB: 4096, maxSteps: 5, granularityMiB: 32 }, m.boot, 1024);
    expect(r.stop).toBe("resolution");
    expect(r.minimumMiB! - r.failedBelowMiB).toBeLessThanOrEqual(32);
    expect(r.minimumMiB).toBeGreaterThanOrEqual(437);
    expect(r.failedBelowMiB).toBeLessThan(437);
    expect(m.tried.length).toBeLessThanOrEqual(5);
  });

  it("stops at maxSteps with the bracket it has, and probes the high end first without a known size", async () => {
    const m = machine(3000);
    const r = await bisectMemory({ lowMiB: 256, highMiB: 4096, maxSteps: 3, granularityMiB: 32 }, m.boot);
    expect(m.tried[0]).toBe(4096);
    expect(m.tried.length).toBe(3);
    expect(r.stop).toBe("steps");
    expect(r.minimumMiB).toBeGreaterThanOrEqual(3000);
    expect(r.failedBelowMiB).toBeLessThan(3000);
  });

  it("reports no minimum when even the high end does not boot", async () => {
    const r = await bisectMemory({ lowMiB: 256, highMiB: 512, maxSteps: 5, granularityMiB: 32 }, machine(9999).boot);
    expect(r).toMatchObject({ minimumMiB: null, stop: "no-boot" });
  });

  it("keeps the midpoint strictly inside the bracket on the alignment grid", () => {
    expect(midpoint(256, 1024, 8)).toBe(640);
    expect(midpoint(600, 616, 8)).toBe(608);
  });
});
