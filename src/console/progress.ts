// Download progress for one layer on the console. On a terminal one line is rewritten in place a few
// times a second; on anything else (serial console captured to a file, journald, a CI log) plain lines
// are printed rarely enough that a multi-gigabyte layer does not flood the log, but often enough that
// a slow download visibly lives.
import { isatty } from "node:tty";
import { performance } from "node:perf_hooks";
import { writeRaw } from "./log";
import { formatBytes, formatDuration, formatRate } from "./units";

export interface ProgressOptions {
  /** Rewrite one line in place (default: whether fd 2 is a terminal). */
  tty?: boolean;
  /** Where text goes (default: the console, through log.ts so `quiet` silences it). */
  out?: (text: string) => void;
  /** Milliseconds from any fixed origin (default: performance.now). */
  now?: () => number;
  /** Terminal width for the in-place line (default: fd 2's width, else 80). */
  columns?: number;
}

export interface Progress {
  /** `bytes` is the running total downloaded so far, not an increment. */
  update(bytes: number): void;
  /** Prints the summary line (`212 MiB in 9.3s (22.8 MiB/s)`); later calls do nothing. */
  done(): void;
  /** Clears the in-place line so that a message can be printed; the next update redraws it. */
  interrupt(): void;
}

/** Terminal redraws at most this often. */
export const TTY_INTERVAL_MS = 250;
/** Plain mode: a line at each 10% step, but never two closer than this... */
export const PLAIN_MIN_INTERVAL_MS = 2_000;
/** ...and a line at least this often, so a slow download shows it is alive. */
export const PLAIN_MAX_INTERVAL_MS = 30_000;
/** Plain mode without a known size: a line this often. */
export const PLAIN_UNSIZED_INTERVAL_MS = 10_000;

/** Exponentially smoothed transfer rate: follows real changes within seconds without jumping on every chunk. */
export class RateMeter {
  private lastT: number;
  private lastBytes: number;
  private smoothed: number | undefined;

  constructor(
    startT: number,
    startBytes = 0,
    private readonly tauMs = 3_000,
    private readonly minSampleMs = 200,
  ) {
    this.lastT = startT;
    this.lastBytes = startBytes;
  }

  sample(t: number, bytes: number): void {
    const dt = t - this.lastT;
    if (dt < this.minSampleMs) return;
    const instant = ((bytes - this.lastBytes) * 1000) / dt;
    const alpha = 1 - Math.exp(-dt / this.tauMs);
    this.smoothed = this.smoothed === undefined ? instant : this.smoothed + alpha * (instant - this.smoothed);
    this.lastT = t;
    this.lastBytes = bytes;
  }

  /** Bytes per second, undefined until a first sample period has passed. */
  get rate(): number | undefined {
    return this.smoothed;
  }
}

export interface ProgressFigures {
  bytes: number;
  total?: number;
  /** Bytes per second, when known. */
  rate?: number;
}

function percentOf(bytes: number, total: number): number {
  return total > 0 ? Math.min(100, Math.floor((bytes * 100) / total)) : 100;
}

function eta(f: ProgressFigures): string | undefined {
  if (f.total === undefined || !f.rate || f.rate <= 0) return undefined;
  const seconds = Math.round(Math.max(0, f.total - f.bytes) / f.rate);
  return seconds < 60 ? `${seconds}s` : formatDuration(seconds * 1000);
}

/** Room kept for the figures, so that the label is not re-cut as they grow ("412 MiB / 1.21 GiB  34%  22.8 MiB/s  ETA 41s"). */
const FIGURES_WIDTH_SIZED = 44;
const FIGURES_WIDTH_UNSIZED = 22;

/** The in-place terminal line, cut to fit `columns` so that `\r` always returns to its start. */
export function renderTtyLine(label: string, f: ProgressFigures, columns: number): string {
  const parts: string[] = [];
  parts.push(f.total !== undefined ? `${formatBytes(f.bytes)} / ${formatBytes(f.total)}` : formatBytes(f.bytes));
  if (f.total !== undefined) parts.push(`${percentOf(f.bytes, f.total)}%`);
  if (f.rate !== undefined) parts.push(formatRate(f.rate));
  const left = eta(f);
  if (left !== undefined) parts.push(`ETA ${left}`);
  const figures = parts.join("  ");
  // One column spare: writing the last column makes some terminals wrap early.
  const reserved = Math.max(figures.length, f.total !== undefined ? FIGURES_WIDTH_SIZED : FIGURES_WIDTH_UNSIZED);
  const room = columns - 1 - reserved - 2;
  return `${shorten(label, Math.max(room, 12))}  ${figures}`;
}

/** A plain log line: `layer 1/2 http://srv/x: 412 MiB of 1.21 GiB (34%), 22.8 MiB/s, ETA 41s`. */
export function renderPlainLine(label: string, f: ProgressFigures): string {
  let text = `${label}: ${formatBytes(f.bytes)}`;
  if (f.total !== undefined) text += ` of ${formatBytes(f.total)} (${percentOf(f.bytes, f.total)}%)`;
  if (f.rate !== undefined) text += `, ${formatRate(f.rate)}`;
  const left = eta(f);
  if (left !== undefined) text += `, ETA ${left}`;
  return text;
}

/** The summary: `layer 1/2 http://srv/x: 212 MiB in 9.3s (22.8 MiB/s)`. */
export function renderDoneLine(label: string, bytes: number, elapsedMs: number): string {
  const rate = elapsedMs > 0 ? formatRate((bytes * 1000) / elapsedMs) : "instant";
  return `${label}: ${formatBytes(bytes)} in ${formatDuration(elapsedMs)} (${rate})`;
}

/** Middle ellipsis keeps both the "layer 1/2" and the file name of a long URL readable. */
export function shorten(text: string, width: number): string {
  if (text.length <= width) return text;
  const keep = width - 3;
  const head = Math.ceil(keep / 2);
  return `${text.slice(0, head)}...${text.slice(text.length - (keep - head))}`;
}

/** Plain-mode decision, pure so that it is tested without a clock. */
export function plainLineDue(state: { lastLineAt: number; lastStep: number }, now: number, bytes: number, total?: number): boolean {
  const since = now - state.lastLineAt;
  if (total === undefined || total <= 0) return since >= PLAIN_UNSIZED_INTERVAL_MS;
  const step = Math.floor(percentOf(bytes, total) / 10);
  if (step > state.lastStep && step < 10 && since >= PLAIN_MIN_INTERVAL_MS) return true;
  return since >= PLAIN_MAX_INTERVAL_MS;
}

export function createProgress(label: string, total?: number, opts: ProgressOptions = {}): Progress {
  const tty = opts.tty ?? isatty(2);
  const out = opts.out ?? writeRaw;
  const now = opts.now ?? (() => performance.now());
  const columns = opts.columns ?? (process.stderr.columns || 80);
  const start = now();
  const meter = new RateMeter(start);
  let bytes = 0;
  let finished = false;
  let drawnAt: number | undefined;
  let shown = false;
  const plain = { lastLineAt: start, lastStep: 0 };

  const figures = (): ProgressFigures => ({ bytes, total, rate: meter.rate });

  return {
    update(n: number): void {
      if (finished) return;
      bytes = n;
      const t = now();
      meter.sample(t, n);
      if (tty) {
        if (drawnAt !== undefined && t - drawnAt < TTY_INTERVAL_MS) return;
        drawnAt = t;
        shown = true;
        out(`\r${renderTtyLine(label, figures(), columns)}\x1b[K`);
      } else if (plainLineDue(plain, t, n, total)) {
        plain.lastLineAt = t;
        if (total !== undefined && total > 0) plain.lastStep = Math.floor(percentOf(n, total) / 10);
        out(`${renderPlainLine(label, figures())}\n`);
      }
    },
    done(): void {
      if (finished) return;
      finished = true;
      const line = renderDoneLine(label, bytes, now() - start);
      out(tty ? `\r${line}\x1b[K\n` : `${line}\n`);
    },
    interrupt(): void {
      if (tty && shown) {
        out("\r\x1b[K");
        shown = false;
        drawnAt = undefined;
      }
    },
  };
}
