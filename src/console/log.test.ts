import { describe, expect, it } from "vitest";
import { formatLine } from "./log";

describe("formatLine", () => {
  it("stamps debug lines with the seconds since the kernel started, dmesg style", () => {
    expect(formatLine("tarboot: ", "debug", "stage top: 0.0s", 12.3456)).toBe("tarboot: debug: [  12.346] stage top: 0.0s\n");
  });

  it("leaves info, warnings and errors as operators read them", () => {
    expect(formatLine("tarboot: ", "info", "booting", 5)).toBe("tarboot: booting\n");
    expect(formatLine("tarboot: ", "warn", "slow", 5)).toBe("tarboot: warn: slow\n");
    expect(formatLine("tarboot: ", "error", "failed", 5)).toBe("tarboot: error: failed\n");
  });
});
