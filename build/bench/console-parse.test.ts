import { describe, expect, it } from "vitest";
import { MARKER_RE, baselineFailure, baselineMemBeforeSwitch, failureHint, kernelHandover, parseBaselineStages, parseMarker, parseTimeline } from "./console-parse";

// A serial console as QEMU hands it over: CRLF line ends, kernel printk times, the marker init's output.
const TARBOOT_CONSOLE = [
  "[    0.000000] Linux version 6.1.0-56-amd64",
  "[    2.104311] Run /init as init process",
  "tarboot: booting 1 layer(s): http://10.0.2.2:4000/root-200M.tar.zst",
  "BENCH-JSON-BEGIN",
  "{",
  '  "version": 1, "clock": "monotonic-ms", "initStartMs": 2210.4, "writtenMs": 9310.2,',
  '  "stages": [{ "stage": "network", "startMs": 2400.1, "durationMs": 812.5 }, { "stage": "mount", "startMs": 3212.9, "durationMs": 6000, "bytes": 209715200 }],',
  '  "freedMiB": 97, "initramfs": { "files": 40, "dirs": 12, "bytes": 124780544 }',
  "}",
  "BENCH-JSON-END",
  "BENCH-BOOTED uptime=9.52 memavail_kb=731204",
  "",
].join("\r\n");

describe("bench console parsing", () => {
  it("reads the marker, tarboot's timeline and the kernel's hand-over from a CRLF console", () => {
    expect(MARKER_RE.test(TARBOOT_CONSOLE)).toBe(true);
    expect(parseMarker(TARBOOT_CONSOLE)).toEqual({ uptime: 9.52, memAvailableKiB: 731204 });
    const t = parseTimeline(TARBOOT_CONSOLE);
    expect(t?.stages.map((s) => s.stage)).toEqual(["network", "mount"]);
    expect(t?.freedMiB).toBe(97);
    expect(kernelHandover(TARBOOT_CONSOLE)).toBe(2.104311);
  });

  it("waits for the whole marker line before matching", () => {
    expect(MARKER_RE.test("BENCH-BOOTED uptime=9.52 memavail_kb=73")).toBe(false);
  });

  it("reads the baseline's stage lines and its own failure message", () => {
    const text = "BASELINE-STAGE start 2.31\r\nBASELINE-STAGE network 3.05\r\nBASELINE-STAGE-MEM 812345\r\nBASELINE-FAIL wget http://10.0.2.2:1/x.tar.zst\r\n";
    expect(parseBaselineStages(text)).toEqual([
      { stage: "start", at: 2.31 },
      { stage: "network", at: 3.05 },
    ]);
    expect(baselineMemBeforeSwitch(text)).toBe(812345);
    expect(baselineFailure(text)).toBe("wget http://10.0.2.2:1/x.tar.zst");
    expect(failureHint("[ 1.0] Out of memory: Killed process 88 (tar)\r\n")).toBe("Out of memory: Killed process 88 (tar)");
  });

  it("gives no timeline for a truncated or absent JSON block", () => {
    expect(parseTimeline("BENCH-JSON-BEGIN\r\n{ \"stages\": [\r\n")).toBeNull();
    expect(parseTimeline("BENCH-BOOTED uptime=1 memavail_kb=2\r\n")).toBeNull();
  });
});
