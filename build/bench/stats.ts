// Medians, ratios and the targets: pure, so the verdict logic is testable without a VM.

export function median(values: readonly number[]): number | null {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return null;
  const mid = Math.floor(v.length / 2);
  return v.length % 2 === 1 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}

/** `a / b`, or null when either side is missing (a failed run is never a ratio of 0 or ∞). */
export function ratio(a: number | null | undefined, b: number | null | undefined): number | null {
  if (a == null || b == null || !Number.isFinite(a) || !Number.isFinite(b) || b <= 0) return null;
  return a / b;
}

export type Verdict = "PASS" | "MISS" | "n/a";

export interface Target {
  /** What is compared, e.g. "unpack zst tarboot/GNU tar". */
  name: string;
  /** The measured value (a ratio, or MiB); null when it could not be measured. */
  value: number | null;
  /** The bound from the issue. */
  limit: number;
  /** "le": value ≤ limit passes; "lt": value < limit passes. */
  op: "le" | "lt";
  unit: "ratio" | "MiB";
  /** Why there is no value, when there is none. */
  note?: string;
}

export function verdict(t: Target): Verdict {
  if (t.value === null) return "n/a";
  return (t.op === "le" ? t.value <= t.limit : t.value < t.limit) ? "PASS" : "MISS";
}

/**
 * A ratio with two decimals, or three when two would print the bound itself: 1.003 against
 * "≤ 1.0" reads "1.00 MISS" otherwise.
 */
export function formatRatio(r: number, bound?: number): string {
  const two = r.toFixed(2);
  return bound !== undefined && r !== bound && Number(two) === bound ? r.toFixed(3) : two;
}
