// When to send again. RFC 2131 4.1 asks for exponential backoff with +-1 s of random jitter so
// that a rack of machines powered on together does not retransmit in lockstep.

export interface Backoff {
  initialMs: number;
  maxMs: number;
  jitterMs: number;
}

/**
 * DISCOVER and SELECTING-state REQUEST. The RFC suggests starting at 4 s; a boot client starts
 * at 2 s because the first packets are often lost while a switch port is still coming up, and
 * every second of that is boot time. Capped at 16 s so a link that comes up late is noticed soon.
 */
export const ACQUIRE_BACKOFF: Backoff = { initialMs: 2000, maxMs: 16000, jitterMs: 1000 };

/** Delay after send number `attempt` (0-based), jitter drawn from `random` in [0, 1). */
export function backoffDelay(policy: Backoff, attempt: number, random: () => number): number {
  const base = Math.min(policy.initialMs * 2 ** Math.min(attempt, 30), policy.maxMs);
  const jitter = (random() * 2 - 1) * policy.jitterMs;
  return Math.max(500, Math.round(base + jitter));
}

/**
 * RENEWING and REBINDING (RFC 2131 4.4.5): wait half the time left before the next deadline
 * (T2, or the end of the lease), but retransmit at least every 60 s and not more often than
 * every 2 s, so that short leases still get several tries.
 */
export function extendDelay(remainingMs: number, random: () => number): number {
  const half = Math.min(Math.max(remainingMs / 2, 2000), 60000);
  return Math.round(half + (random() * 2 - 1) * 250);
}
