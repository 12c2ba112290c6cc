import { describe, expect, it } from "vitest";
import { formatRatio, median, ratio, verdict } from "./stats";

describe("bench stats", () => {
  it("takes the middle value, the mean of the two middle ones for even counts, and skips failed runs", () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([5, Number.NaN, 1, 3])).toBe(3);
    expect(median([])).toBeNull();
  });

  it("gives no ratio when a side is missing or zero", () => {
    expect(ratio(1.5, 3)).toBe(0.5);
    expect(ratio(null, 3)).toBeNull();
    expect(ratio(2, 0)).toBeNull();
  });

  it("passes at the bound for ≤ targets, not for < ones, and says n/a without a value", () => {
    expect(verdict({ name: "a", value: 1.0, limit: 1.0, op: "le", unit: "ratio" })).toBe("PASS");
    expect(verdict({ name: "b", value: 1.01, limit: 1.0, op: "le", unit: "ratio" })).toBe("MISS");
    expect(verdict({ name: "c", value: 512, limit: 512, op: "lt", unit: "MiB" })).toBe("MISS");
    expect(verdict({ name: "d", value: null, limit: 1, op: "le", unit: "ratio" })).toBe("n/a");
  });

  it("shows a third decimal only when two would print the bound", () => {
    expect(formatRatio(1.0029, 1)).toBe("1.003");
    expect(formatRatio(0.9961, 1)).toBe("0.996");
    expect(formatRatio(1, 1)).toBe("1.00");
    expect(formatRatio(1.0607, 1)).toBe("1.06");
    expect(formatRatio(0.7, 0.7)).toBe("0.70");
    expect(formatRatio(1.0029)).toBe("1.00");
  });
});
