// Waits between attempts. "Full jitter" (a uniform draw between 0 and the exponential cap) spreads a
// thousand nodes that lost the server at the same instant over the whole window, instead of bringing
// them back in synchronised waves as plain or "equal jitter" backoff would.

export interface Backoff {
  baseMs: number;
  maxMs: number;
}

export const DEFAULT_BACKOFF: Backoff = { baseMs: 1_000, maxMs: 60_000 };

/** Delay before retry number `failures` (1 after the first failure). `random` in [0, 1). */
export function backoffDelay(failures: number, b: Backoff, random: () => number = Math.random, retryAfterMs?: number): number {
  const exp = Math.min(b.maxMs, b.baseMs * 2 ** Math.max(0, Math.min(failures - 1, 30)));
  let delay = random() * exp;
  if (retryAfterMs !== undefined && retryAfterMs > 0) {
    // The server asked for a pause (503/429 Retry-After). Honour it, up to our own ceiling, spread by half
    // of it again so that the herd it was sent to does not return in step.
    const asked = Math.min(b.maxMs, retryAfterMs);
    delay = Math.max(delay, asked + random() * (asked / 2));
  }
  return Math.round(delay);
}

/** Retry-After is either delta-seconds or an HTTP-date; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | undefined, nowMs: number): number | undefined {
  if (!value) return undefined;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const at = Date.parse(v);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - nowMs);
}
