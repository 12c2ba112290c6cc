import { describe, expect, it } from "vitest";
import { formatSyslog, MAX_SYSLOG_BYTES } from "./syslog-message";

const T = Date.UTC(2026, 11, 1, 3, 40, 5, 123);

describe("RFC 5424 messages", () => {
  it("carry facility daemon with the line's severity, the time, the node's name and tarboot as the program", () => {
    expect(formatSyslog({ level: "error", message: "layer 1/1: sha256 mismatch", timeMs: T, hostname: "node7", pid: 1 }).toString()).toBe(
      "<27>1 2026-12-01T03:40:05.123Z node7 tarboot 1 - - layer 1/1: sha256 mismatch",
    );
    const pri = (level: "warn" | "info" | "debug") => formatSyslog({ level, message: "x", timeMs: T, pid: 1 }).toString().split(">")[0];
    expect([pri("warn"), pri("info"), pri("debug")]).toEqual(["<28", "<30", "<31"]);
  });

  it("say nil (-) for a node without a name yet, keep the host name to printable ASCII, and cut long lines", () => {
    expect(formatSyslog({ level: "info", message: "booting", timeMs: T, pid: 1 }).toString()).toBe("<30>1 2026-12-01T03:40:05.123Z - tarboot 1 - - booting");
    expect(formatSyslog({ level: "info", message: "x\n", timeMs: T, hostname: "nöde 7", pid: 1 }).toString()).toBe("<30>1 2026-12-01T03:40:05.123Z nde7 tarboot 1 - - x");
    expect(formatSyslog({ level: "info", message: "y".repeat(5000), timeMs: T, pid: 1 }).length).toBe(MAX_SYSLOG_BYTES);
  });
});
