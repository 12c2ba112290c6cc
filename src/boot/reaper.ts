// As PID 1 the init inherits every orphan; their zombies must be collected or the process table
// fills up. Children Node started itself (hooks, rescue shell) are left for Node to reap, or
// their exit status would be lost: hence peek first, reap only strangers.
import { peekExitedChild, reap } from "../sys/proc";
import { isOwnedChild } from "./spawn";

const INTERVAL_MS = 1000;

export function reapOrphans(): number {
  let reaped = 0;
  const seen = new Set<number>();
  for (;;) {
    const pid = peekExitedChild();
    if (pid <= 0 || seen.has(pid)) break;
    seen.add(pid);
    // An owned child at the head of the queue stays for Node; strangers behind it wait for the next tick.
    if (isOwnedChild(pid)) break;
    if (reap(pid)) reaped++;
  }
  return reaped;
}

/** Starts reaping on SIGCHLD and on a timer; the timer also keeps PID 1's event loop from ever running dry. */
export function startReaper(): void {
  process.on("SIGCHLD", () => setImmediate(reapOrphans));
  setInterval(reapOrphans, INTERVAL_MS);
}
