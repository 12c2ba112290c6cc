import { describe, expect, it } from "vitest";
import { monotonicMs } from "../root/timeline";
import { startupMarks } from "./started";

describe("startupMarks", () => {
  it("puts Node's start-up milestones and ours in order on the timeline's clock", () => {
    const now = monotonicMs();
    const m = startupMarks(now);
    const order = [m.v8StartMs, m.environmentMs, m.bootstrapCompleteMs, m.bundleStartedMs, m.bootStartedMs];
    expect(order).toEqual([...order].sort((a, b) => a - b));
    expect(Math.abs(m.bootStartedMs - now)).toBeLessThan(1);
    // The process started before V8, and after the kernel (the clock starts at boot).
    expect(m.v8StartMs).toBeGreaterThan(0);
    expect(m.v8StartMs).toBeLessThan(now);
  });
});
