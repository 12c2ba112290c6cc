import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { tempDir } from "../testing/root-fixtures";
import { Timeline, formatStage, writeTimeline } from "./timeline";

function clocked(): { t: Timeline; at: (ms: number) => void } {
  let now = 1000;
  const t = new Timeline(() => now, 400);
  return { t, at: (ms) => (now = ms) };
}

describe("Timeline", () => {
  it("sums the boot up in one console line: since the kernel started, tarboot's share, network and layers", async () => {
    const { t, at } = clocked();
    await t.run("network", async () => at(3100));
    await t.run("mount", async () => {
      at(9100);
      return { bytes: 210 * 1024 * 1024 };
    });
    at(9200);
    expect(t.summary()).toBe("root ready 9.2s after the kernel started (tarboot 8.8s; network 2.1s; layers 6.0s, 210 MiB at 35.0 MiB/s)");
    expect(new Timeline(() => 1500, 1000).summary()).toBe("root ready 1.5s after the kernel started (tarboot 0.5s)");
  });

  it("records stages, bytes and facts in boot.json's shape", async () => {
    const { t, at } = clocked();
    t.start("top");
    at(1250.04);
    t.end("top");
    const got = await t.run("mount", async () => {
      at(4450);
      return { bytes: 222298112, other: 1 };
    });
    expect(got.other).toBe(1);
    t.addFacts({ layers: [{ url: "http://srv/base.tar.zst", bytes: 222298112, seconds: 3.2 }], freedMiB: 118, version: 9 });
    at(4500);
    t.start("init");
    at(4600);
    t.finish();
    expect(t.toJSON()).toEqual({
      version: 1,
      clock: "monotonic-ms",
      initStartMs: 400,
      writtenMs: 4600,
      stages: [
        { stage: "top", startMs: 1000, durationMs: 250 },
        { stage: "mount", startMs: 1250, durationMs: 3200, bytes: 222298112 },
        { stage: "init", startMs: 4500, durationMs: 100 },
      ],
      layers: [{ url: "http://srv/base.tar.zst", bytes: 222298112, seconds: 3.2 }],
      freedMiB: 118,
    });
  });

  it("marks a stage that threw as failed and rethrows", async () => {
    const { t, at } = clocked();
    await expect(
      t.run("premount", () => {
        at(1100);
        throw new Error("hook failed");
      }),
    ).rejects.toThrow("hook failed");
    expect(t.toJSON().stages).toEqual([{ stage: "premount", startMs: 1000, durationMs: 100, failed: true }]);
  });

  it("formats a stage for the debug console", () => {
    expect(formatStage({ stage: "mount", startMs: 0, durationMs: 3240, bytes: 222298112 })).toBe("stage mount: 3.2s, 212 MiB");
    expect(formatStage({ stage: "top", startMs: 0, durationMs: 12, bytes: 1572864 })).toBe("stage top: 0.0s, 1.50 MiB");
    expect(formatStage({ stage: "init", startMs: 0, durationMs: null })).toBe("stage init: running");
  });

  const tmp = tempDir("timeline");
  afterAll(tmp.cleanup);

  it("writes run/tarboot/boot.json", () => {
    const { t } = clocked();
    t.start("top");
    t.end("top", { bytes: 5 });
    const path = writeTimeline(t, join(tmp.dir, "run"));
    expect(path).toBe(join(tmp.dir, "run/tarboot/boot.json"));
    expect(JSON.parse(readFileSync(path, "utf8")).stages).toEqual([{ stage: "top", startMs: 1000, durationMs: 0, bytes: 5 }]);
  });

  it("keeps layer URLs' passwords out of boot.json, which the booted system's users can read", () => {
    const { t } = clocked();
    t.addFacts({ layers: [{ index: 1, url: "https://ops:s3cret@srv/base.tar.zst" }] });
    const text = readFileSync(writeTimeline(t, join(tmp.dir, "run-cred")), "utf8");
    expect(text).not.toContain("s3cret");
    expect(JSON.parse(text).layers[0].url).toBe("https://ops:***@srv/base.tar.zst");
  });

  it("starts its clock at the kernel's boot by default", () => {
    const t = new Timeline();
    const uptimeMs = Number(readFileSync("/proc/uptime", "utf8").split(" ")[0]) * 1000;
    const j = t.toJSON();
    // CLOCK_MONOTONIC leaves out suspended time, which /proc/uptime counts: never ahead of it.
    expect(j.writtenMs).toBeGreaterThan(0);
    expect(j.writtenMs).toBeLessThan(uptimeMs + 1000);
    expect(j.initStartMs).toBeLessThanOrEqual(j.writtenMs);
  });
});
