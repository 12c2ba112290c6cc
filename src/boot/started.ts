// Imported first by main.ts, so the bundle evaluates it before any other module: the moment our
// own code began, which tells Node's start-up apart from the evaluation of the bundle.
import { performance } from "node:perf_hooks";

export const bundleStartedMs = performance.now();

/**
 * Node's start-up milestones and ours, in ms on the timeline's clock (CLOCK_MONOTONIC), for
 * boot.json: under emulation these seconds are a large part of a boot and must be visible.
 */
export function startupMarks(nowMonotonicMs: number): Record<string, number> {
  const origin = nowMonotonicMs - performance.now();
  const t = performance.nodeTiming;
  const at = (ms: number) => Math.round((origin + ms) * 10) / 10;
  return {
    v8StartMs: at(t.v8Start),
    environmentMs: at(t.environment),
    bootstrapCompleteMs: at(t.bootstrapComplete),
    bundleStartedMs: at(bundleStartedMs),
    bootStartedMs: at(performance.now()),
  };
}
