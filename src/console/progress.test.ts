import { describe, expect, it } from "vitest";
import {
  createProgress,
  plainLineDue,
  RateMeter,
  renderDoneLine,
  renderPlainLine,
  renderTtyLine,
  shorten,
} from "./progress";
import { formatBytes, formatDelay, formatDuration, formatRate } from "./units";

const MiB = 1024 * 1024;

describe("units", () => {
  it("formats sizes in binary units with three significant digits", () => {
    expect(formatBytes(0)).toBe("0 B");
    expect(formatBytes(1023)).toBe("1023 B");
    expect(formatBytes(1024)).toBe("1.00 KiB");
    expect(formatBytes(12.34 * 1024)).toBe("12.3 KiB");
    expect(formatBytes(412 * MiB)).toBe("412 MiB");
    expect(formatBytes(1.21 * 1024 * MiB)).toBe("1.21 GiB");
    // Rounding up must not print "1024 KiB".
    expect(formatBytes(1024 * 1024 - 1)).toBe("1.00 MiB");
    expect(formatRate(22.8 * MiB)).toBe("22.8 MiB/s");
  });

  it("formats durations and waits", () => {
    expect(formatDuration(9_300)).toBe("9.3s");
    expect(formatDuration(42_000)).toBe("42s");
    expect(formatDuration(65_000)).toBe("1m05s");
    expect(formatDuration(2 * 3600_000 + 3 * 60_000)).toBe("2h03m");
    expect(formatDelay(400)).toBe("0.4s");
    expect(formatDelay(7_400)).toBe("7s");
    expect(formatDelay(61_000)).toBe("1m01s");
  });
});

describe("rate meter", () => {
  it("ignores sub-period samples and converges on a steady rate", () => {
    const m = new RateMeter(0);
    m.sample(50, 5 * MiB);
    expect(m.rate).toBeUndefined();
    for (let t = 1000; t <= 20_000; t += 1000) m.sample(t, (t / 1000) * 10 * MiB);
    expect(m.rate! / MiB).toBeCloseTo(10, 1);
  });

  it("smooths a sudden stall instead of dropping to zero at once", () => {
    const m = new RateMeter(0);
    for (let t = 1000; t <= 10_000; t += 1000) m.sample(t, (t / 1000) * 10 * MiB);
    m.sample(11_000, 100 * MiB);
    expect(m.rate! / MiB).toBeGreaterThan(5);
    expect(m.rate! / MiB).toBeLessThan(10);
  });
});

describe("line rendering", () => {
  const label = "layer 1/2 http://srv/base.tar.zst";

  it("renders plain lines with percent and ETA when the size is known", () => {
    expect(renderPlainLine(label, { bytes: 412 * MiB, total: 1200 * MiB, rate: 22.8 * MiB })).toBe(
      "layer 1/2 http://srv/base.tar.zst: 412 MiB of 1.17 GiB (34%), 22.8 MiB/s, ETA 35s",
    );
    expect(renderPlainLine(label, { bytes: 412 * MiB })).toBe("layer 1/2 http://srv/base.tar.zst: 412 MiB");
  });

  it("renders the summary line", () => {
    expect(renderDoneLine(label, 212 * MiB, 9_300)).toBe("layer 1/2 http://srv/base.tar.zst: 212 MiB in 9.3s (22.8 MiB/s)");
  });

  it("fits the terminal line into the width, keeping both ends of the label", () => {
    const long = "layer 3/3 http://very-long-mirror-name.example.org/pub/images/compute/2024-06/" + "x".repeat(40) + "/site.tar.zst";
    const line = renderTtyLine(long, { bytes: 10 * MiB, total: 100 * MiB, rate: 5 * MiB }, 80);
    expect(line.length).toBeLessThanOrEqual(79);
    expect(line.startsWith("layer 3/3 ")).toBe(true);
    expect(line).toContain("site.tar.zst  10.0 MiB / 100 MiB  10%  5.00 MiB/s  ETA 18s");
    expect(shorten("abcdefghij", 7)).toBe("ab...ij");
  });
});

describe("plain line schedule", () => {
  it("prints at 10% steps no closer than 2 s, and at least every 30 s", () => {
    const s = { lastLineAt: 0, lastStep: 0 };
    expect(plainLineDue(s, 1_000, 15, 100)).toBe(false); // step crossed but too soon
    expect(plainLineDue(s, 2_000, 15, 100)).toBe(true);
    expect(plainLineDue(s, 29_000, 5, 100)).toBe(false);
    expect(plainLineDue(s, 30_000, 5, 100)).toBe(true);
    expect(plainLineDue({ lastLineAt: 0, lastStep: 0 }, 9_999, 5)).toBe(false);
    expect(plainLineDue({ lastLineAt: 0, lastStep: 0 }, 10_000, 5)).toBe(true);
  });
});

describe("createProgress", () => {
  function harness(tty: boolean, total?: number) {
    let t = 0;
    const out: string[] = [];
    const p = createProgress("layer 1/1 http://srv/a.tar", total, { tty, out: (s) => out.push(s), now: () => t, columns: 100 });
    return { p, out, at: (ms: number) => (t = ms) };
  }

  it("on a terminal redraws in place at most 4 times a second and ends with a summary line", () => {
    const h = harness(true, 100 * MiB);
    for (let ms = 0; ms <= 1000; ms += 10) {
      h.at(ms);
      h.p.update(ms * 100 * 1024);
    }
    const redraws = h.out.filter((s) => s.startsWith("\r") && s.endsWith("\x1b[K"));
    expect(redraws.length).toBeGreaterThanOrEqual(4);
    expect(redraws.length).toBeLessThanOrEqual(5);
    expect(redraws.at(-1)).toMatch(/^\rlayer 1\/1 http:\/\/srv\/a\.tar {2}\d.* \d+%/);
    h.at(2000);
    h.p.done();
    expect(h.out.at(-1)).toBe("\rlayer 1/1 http://srv/a.tar: 97.7 MiB in 2.0s (48.8 MiB/s)\x1b[K\n");
    h.p.update(1);
    h.p.done();
    expect(h.out.filter((s) => s.includes(" in 2.0s")).length).toBe(1);
  });

  it("interrupt clears a drawn line so that a message starts at column 0", () => {
    const h = harness(true);
    h.p.interrupt();
    expect(h.out).toEqual([]);
    h.p.update(10);
    h.p.interrupt();
    expect(h.out.at(-1)).toBe("\r\x1b[K");
  });

  it("off a terminal prints plain lines, about one per 10%, never escape codes", () => {
    const h = harness(false, 100 * MiB);
    // 100 MiB over 50 s at an even pace.
    for (let ms = 0; ms <= 50_000; ms += 100) {
      h.at(ms);
      h.p.update(Math.round((ms / 50_000) * 100 * MiB));
    }
    h.p.done();
    expect(h.out.every((s) => s.endsWith("\n") && !s.includes("\x1b") && !s.includes("\r"))).toBe(true);
    expect(h.out.length).toBeGreaterThanOrEqual(9);
    expect(h.out.length).toBeLessThanOrEqual(11);
    expect(h.out[0]).toMatch(/^layer 1\/1 http:\/\/srv\/a\.tar: 10\.0 MiB of 100 MiB \(10%\), 2\.00 MiB\/s, ETA 45s\n$/);
    expect(h.out.at(-1)).toBe("layer 1/1 http://srv/a.tar: 100 MiB in 50s (2.00 MiB/s)\n");
  });
});
