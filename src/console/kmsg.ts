// The kernel's own words for a refusal: a driver that says EINVAL to a sysfs write (the bonding
// driver's "option mode: unable to set because the bond device has slaves") tells why only in its
// log, which `quiet` keeps off the console. /dev/kmsg gives one record per read, oldest first.
import { closeSync, constants, openSync, readSync } from "node:fs";

/** One /dev/kmsg record: "<prio>,<seq>,<usec>,<flags>[,...];<text>\n" followed by " KEY=value" lines. */
export function kmsgText(record: string): string | undefined {
  const semi = record.indexOf(";");
  if (semi < 0 || !/^\d+,\d+,\d+,/.test(record)) return undefined;
  const end = record.indexOf("\n", semi);
  return record.slice(semi + 1, end < 0 ? undefined : end);
}

/** The last `max` kernel log lines that `wanted` picks, oldest first; none when the log cannot be read. */
export function recentKernelLines(wanted: (text: string) => boolean, max = 2, path = "/dev/kmsg"): string[] {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch {
    return [];
  }
  const buf = Buffer.alloc(8192); // a record longer than the buffer is EINVAL; the kernel caps them at ~1 KiB
  const lines: string[] = [];
  try {
    for (;;) {
      let n: number;
      try {
        n = readSync(fd, buf, 0, buf.length, null);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === "EPIPE") continue; // records overwritten while reading
        break; // EAGAIN: the end
      }
      if (n === 0) break;
      const text = kmsgText(buf.toString("utf8", 0, n));
      if (text !== undefined && wanted(text)) {
        lines.push(text);
        if (lines.length > max) lines.shift();
      }
    }
  } finally {
    closeSync(fd);
  }
  return lines;
}
