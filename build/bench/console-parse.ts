// What a benchmark boot's serial console says: the marker line of /bench/init, tarboot's
// boot.json (printed by the marker init), the baseline's stage lines and the kernel's hand-over
// to /init. Pure text parsing.
import { BASELINE_FAIL, BASELINE_STAGE } from "./baseline-init";
import { JSON_BEGIN, JSON_END, MARKER } from "./marker";

export interface MarkerLine {
  /** Guest seconds since the kernel started, when the root's init ran. */
  uptime: number;
  /** MemAvailable in the booted root, KiB. */
  memAvailableKiB: number;
}

export interface StagePoint {
  stage: string;
  /** Guest seconds since the kernel started, at the end of the stage. */
  at: number;
}

export interface TarbootStage {
  stage: string;
  startMs: number;
  durationMs: number | null;
  bytes?: number;
}

export interface TarbootTimeline {
  initStartMs: number;
  writtenMs: number;
  stages: TarbootStage[];
  freedMiB?: number;
  initramfs?: { files: number; dirs: number; bytes: number };
  layers?: Array<{ url: string; bytes: number; entries: number; seconds: number }>;
}

/** A regexp for bootQemu's `until`: the whole marker line, numbers included. */
export const MARKER_RE = new RegExp(`${MARKER} uptime=[0-9.]+ memavail_kb=[0-9]*\\r?\\n`);

const lines = (text: string): string[] => text.replace(/\r/g, "").split("\n");

export function parseMarker(text: string): MarkerLine | null {
  const m = new RegExp(`${MARKER} uptime=([0-9.]+) memavail_kb=([0-9]+)`).exec(text);
  return m ? { uptime: Number(m[1]), memAvailableKiB: Number(m[2]) } : null;
}

export function parseTimeline(text: string): TarbootTimeline | null {
  const all = lines(text);
  const begin = all.indexOf(JSON_BEGIN);
  const end = all.indexOf(JSON_END, begin + 1);
  if (begin < 0 || end < 0) return null;
  try {
    const json = JSON.parse(all.slice(begin + 1, end).join("\n")) as TarbootTimeline;
    return Array.isArray(json.stages) ? json : null;
  } catch {
    return null;
  }
}

export function parseBaselineStages(text: string): StagePoint[] {
  const out: StagePoint[] = [];
  for (const l of lines(text)) {
    const m = new RegExp(`^${BASELINE_STAGE} (\\S+) ([0-9.]+)$`).exec(l.trim());
    if (m) out.push({ stage: m[1], at: Number(m[2]) });
  }
  return out;
}

/** The baseline's MemAvailable (KiB) just before switch_root emptied its initramfs. */
export function baselineMemBeforeSwitch(text: string): number | null {
  const m = new RegExp(`${BASELINE_STAGE}-MEM ([0-9]+)`).exec(text);
  return m ? Number(m[1]) : null;
}

export function baselineFailure(text: string): string | null {
  const m = new RegExp(`${BASELINE_FAIL} (.*)`).exec(text);
  return m ? m[1].replace(/\r/g, "").trim() : null;
}

/** When the kernel ran /init (printk time, seconds): after it unpacked the initramfs. */
export function kernelHandover(text: string): number | null {
  const m = /\[\s*([0-9]+\.[0-9]+)\] Run \/init as init process/.exec(text);
  return m ? Number(m[1]) : null;
}

/** The first line that explains a failed boot, for the report. */
export function failureHint(text: string): string | null {
  const patterns = [
    new RegExp(`${BASELINE_FAIL} .*`),
    /Kernel panic[^\r\n]*/,
    /Out of memory[^\r\n]*/,
    /Initramfs unpacking failed[^\r\n]*/,
    /tarboot: error[^\r\n]*/,
    /No space left on device[^\r\n]*/,
  ];
  for (const p of patterns) {
    const m = p.exec(text);
    if (m) return m[0].replace(/\r/g, "").trim();
  }
  return null;
}
