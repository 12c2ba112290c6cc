import { describe, expect, it } from "vitest";
import { ACQUIRE_BACKOFF, backoffDelay, extendDelay } from "./backoff";

describe("retransmission schedule", () => {
  it("doubles from 2 s up to 16 s, with at most 1 s of jitter either way", () => {
    const low = () => 0;
    const high = () => 0.999999;
    const mid = () => 0.5;
    expect([0, 1, 2, 3, 4, 9].map((n) => backoffDelay(ACQUIRE_BACKOFF, n, mid))).toEqual([2000, 4000, 8000, 16000, 16000, 16000]);
    expect(backoffDelay(ACQUIRE_BACKOFF, 0, low)).toBe(1000);
    expect(backoffDelay(ACQUIRE_BACKOFF, 0, high)).toBe(3000);
    expect(backoffDelay(ACQUIRE_BACKOFF, 3, low)).toBe(15000);
  });

  it("spreads clients: real randomness gives different delays", () => {
    const seen = new Set(Array.from({ length: 20 }, () => backoffDelay(ACQUIRE_BACKOFF, 1, Math.random)));
    expect(seen.size).toBeGreaterThan(1);
    for (const d of seen) expect(d).toBeGreaterThanOrEqual(3000);
  });

  it("renewal retries at half the remaining time, between 2 s and 60 s", () => {
    const mid = () => 0.5;
    expect(extendDelay(600_000, mid)).toBe(60_000);
    expect(extendDelay(30_000, mid)).toBe(15_000);
    expect(extendDelay(1_000, mid)).toBe(2_000);
  });
});
