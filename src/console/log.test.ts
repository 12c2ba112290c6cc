import { describe, expect, it } from "vitest";
import { configureLog, debug, formatLine, info, transcriptText, warn } from "./log";

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

describe("the transcript (/run/tarboot/console.log)", () => {
  it("keeps every line with its time and level, quiet-suppressed ones too, passwords hidden", () => {
    configureLog({ quiet: true, debug: false });
    info("booting 1 layer(s): http://ops:s3cret@srv/base.tar.zst");
    warn("layer 1/1: connection reset, retry 1/7 in 1s");
    debug("not shown, not kept");
    const lines = transcriptText().split("\n").filter(Boolean);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^\[ *\d+\.\d{3}\] booting 1 layer\(s\): http:\/\/ops:\*\*\*@srv\/base\.tar\.zst$/);
    expect(lines[1]).toMatch(/^\[ *\d+\.\d{3}\] warn: layer 1\/1: connection reset, retry 1\/7 in 1s$/);
  });
});
