// Setting the system clock (CLOCK_REALTIME), which Node cannot do.
import { check, libc } from "./libc";

const clock_settime_ = libc.func("int clock_settime(int clockid, const void *tp)");
const CLOCK_REALTIME = 0;

/** Sets the wall clock to `ms` milliseconds since the epoch. */
export function setRealtime(ms: number): void {
  const ts = Buffer.alloc(16); // struct timespec on x86-64: two 64-bit fields
  const sec = Math.floor(ms / 1000);
  ts.writeBigInt64LE(BigInt(sec), 0);
  ts.writeBigInt64LE(BigInt(Math.round((ms - sec * 1000) * 1e6)), 8);
  check(clock_settime_(CLOCK_REALTIME, ts), "clock_settime", new Date(ms).toISOString());
}
