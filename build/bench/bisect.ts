// The smallest `-m` that still boots, by bisection between a size assumed too small and one that
// booted, bounded in steps: each probe is a whole TCG boot.

export interface Probe {
  memoryMiB: number;
  booted: boolean;
  seconds: number | null;
  failure?: string;
}

export interface BisectResult {
  /** The smallest size seen to boot (an upper bound of the true minimum). */
  minimumMiB: number | null;
  /** The largest size seen to fail (or the assumed lower bound): the minimum is above it. */
  failedBelowMiB: number;
  probes: Probe[];
  /** Why the search stopped. */
  stop: "resolution" | "steps" | "no-boot";
}

export interface BisectPlan {
  lowMiB: number;
  highMiB: number;
  maxSteps: number;
  granularityMiB: number;
}

/** The next size to try: the middle, on a multiple of `align` MiB. */
export function midpoint(low: number, high: number, align: number): number {
  const mid = Math.round((low + high) / 2 / align) * align;
  return Math.min(high - align, Math.max(low + align, mid));
}

/**
 * `knownGood` is a size that already booted with these settings (no probe needed); without one the
 * high end is probed first. `boot` must be bounded in time: a hung guest counts as a failure.
 */
export async function bisectMemory(plan: BisectPlan, boot: (mib: number) => Promise<Probe>, knownGood?: number): Promise<BisectResult> {
  const probes: Probe[] = [];
  let low = plan.lowMiB;
  let high: number;
  if (knownGood !== undefined) high = knownGood;
  else {
    const p = await boot(plan.highMiB);
    probes.push(p);
    if (!p.booted) return { minimumMiB: null, failedBelowMiB: plan.highMiB, probes, stop: "no-boot" };
    high = plan.highMiB;
  }
  const align = Math.max(1, Math.floor(plan.granularityMiB / 4));
  while (high - low > plan.granularityMiB) {
    if (probes.length >= plan.maxSteps) return { minimumMiB: high, failedBelowMiB: low, probes, stop: "steps" };
    const mib = midpoint(low, high, align);
    const p = await boot(mib);
    probes.push(p);
    if (p.booted) high = mib;
    else low = mib;
  }
  return { minimumMiB: high, failedBelowMiB: low, probes, stop: "resolution" };
}
