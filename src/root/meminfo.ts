// How much RAM switch_root gave back, from /proc/meminfo before and after the initramfs goes.

/** MemAvailable in KiB, or null when the kernel does not report it. */
export function memAvailableKiB(meminfo: string): number | null {
  const m = /^MemAvailable:\s+(\d+)\s*kB$/m.exec(meminfo);
  return m ? Number(m[1]) : null;
}

/** The difference in whole MiB (never negative: other activity can eat what was freed). */
export function freedMiB(beforeKiB: number | null, afterKiB: number | null): number | null {
  if (beforeKiB === null || afterKiB === null) return null;
  return Math.max(0, Math.round((afterKiB - beforeKiB) / 1024));
}
