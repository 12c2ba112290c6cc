// The boot timeline: when each stage started, how long it took, how many bytes it moved, plus
// facts (layers, RAM given back). The booted system reads it from /run/tarboot/boot.json.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { debug } from "../console/log";
import { hideCredentials } from "../console/redact";
import { formatBytes, formatDuration, formatRate } from "../console/units";
import { replaceFile } from "./write-identity";

export interface StageRecord {
  stage: string;
  /** CLOCK_MONOTONIC in ms: time since the kernel started (nothing suspends inside an initramfs). */
  startMs: number;
  /** null while the stage is still running (or never ended: the boot stopped inside it). */
  durationMs: number | null;
  bytes?: number;
  failed?: true;
}

export type FactValue = string | number | boolean | null | FactValue[] | { [key: string]: FactValue | undefined };

export interface BootTimeline {
  version: 1;
  clock: "monotonic-ms";
  /** When the tarboot process started, on the same clock. */
  initStartMs: number;
  /** When this record was taken, on the same clock. */
  writtenMs: number;
  stages: StageRecord[];
  [fact: string]: unknown;
}

const RESERVED = new Set(["version", "clock", "initStartMs", "writtenMs", "stages"]);

/** ms since boot: process.hrtime is CLOCK_MONOTONIC, which starts with the kernel. */
export function monotonicMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

const round = (ms: number): number => Math.round(ms * 10) / 10;

export function formatStage(rec: StageRecord): string {
  const parts = [rec.durationMs === null ? "running" : formatDuration(rec.durationMs)];
  if (rec.bytes !== undefined) parts.push(formatBytes(rec.bytes));
  if (rec.failed) parts.push("failed");
  return `stage ${rec.stage}: ${parts.join(", ")}`;
}

export class Timeline {
  private readonly stages: StageRecord[] = [];
  private readonly facts: Record<string, FactValue> = {};
  private readonly initStartMs: number;

  /** `clock` returns ms since boot; injected by tests. */
  constructor(private readonly clock: () => number = monotonicMs, initStartMs?: number) {
    this.initStartMs = initStartMs ?? clock() - performance.now();
  }

  start(stage: string): void {
    this.stages.push({ stage, startMs: round(this.clock()), durationMs: null });
  }

  /** Ends the latest running record of `stage`; one that never started is recorded with no duration. */
  end(stage: string, extra: { bytes?: number; failed?: boolean } = {}): StageRecord {
    const now = this.clock();
    let rec = this.open(stage);
    if (!rec) {
      rec = { stage, startMs: round(now), durationMs: null };
      this.stages.push(rec);
    }
    rec.durationMs = round(now - rec.startMs);
    if (extra.bytes !== undefined) rec.bytes = extra.bytes;
    if (extra.failed) rec.failed = true;
    debug(formatStage(rec));
    return rec;
  }

  /** Times `fn` as `stage`; a result carrying `bytes` (a number) is recorded with the stage. */
  async run<T>(stage: string, fn: () => Promise<T> | T): Promise<T> {
    this.start(stage);
    let result: T;
    try {
      result = await fn();
    } catch (err) {
      this.end(stage, { failed: true });
      throw err;
    }
    const bytes = (result as { bytes?: unknown } | null | undefined)?.bytes;
    this.end(stage, typeof bytes === "number" ? { bytes } : {});
    return result;
  }

  /**
   * One line for the console before the switch: since the kernel started, tarboot's share, and the
   * network and root stages, so that a slow node shows where its time went without debug.
   */
  summary(): string {
    const now = this.clock();
    const took = (stage: string) => this.stages.find((s) => s.stage === stage && s.durationMs !== null);
    const parts = [`tarboot ${formatDuration(now - this.initStartMs)}`];
    const net = took("network");
    if (net) parts.push(`network ${formatDuration(net.durationMs as number)}`);
    const mount = took("mount");
    if (mount) {
      const ms = mount.durationMs as number;
      const rate = mount.bytes !== undefined && ms > 0 ? `, ${formatBytes(mount.bytes)} at ${formatRate((mount.bytes * 1000) / ms)}` : "";
      parts.push(`layers ${formatDuration(ms)}${rate}`);
    }
    return `root ready ${formatDuration(now)} after the kernel started (${parts.join("; ")})`;
  }

  /** Ends every stage still running (the init stage, when the process is about to be replaced). */
  finish(): void {
    for (const rec of [...this.stages].reverse()) if (rec.durationMs === null) this.end(rec.stage);
  }

  /** Facts land at the top level of boot.json; the timeline's own keys cannot be overwritten. */
  addFacts(facts: Record<string, unknown>): void {
    for (const [key, value] of Object.entries(facts)) {
      if (RESERVED.has(key)) {
        debug(`timeline: fact '${key}' ignored (reserved)`);
        continue;
      }
      this.facts[key] = JSON.parse(JSON.stringify(value ?? null)) as FactValue;
    }
  }

  toJSON(): BootTimeline {
    return {
      version: 1,
      clock: "monotonic-ms",
      initStartMs: round(this.initStartMs),
      writtenMs: round(this.clock()),
      stages: this.stages.map((s) => ({ ...s })),
      ...this.facts,
    };
  }

  private open(stage: string): StageRecord | undefined {
    for (let i = this.stages.length - 1; i >= 0; i--) {
      const rec = this.stages[i];
      if (rec.stage === stage && rec.durationMs === null) return rec;
    }
    return undefined;
  }
}

/** Writes `${runDir}/tarboot/boot.json` (atomically: a reader never sees half a file); returns its path. */
/** /run/tarboot/console.log: the boot's console lines (passwords already hidden), for the booted system. */
export function writeConsoleLog(runDir: string, text: string): string {
  return writeRunFile(runDir, "console.log", text);
}

export function writeTimeline(timeline: Timeline, runDir: string): string {
  // World-readable in the booted system: layer URLs go in without their passwords.
  return writeRunFile(runDir, "boot.json", hideCredentials(JSON.stringify(timeline.toJSON(), null, 2)) + "\n");
}

/** RUN/tarboot/NAME for the booted system, replaced whole (rename), world-readable. */
function writeRunFile(runDir: string, name: string, text: string): string {
  const dir = join(runDir, "tarboot");
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  const path = join(dir, name);
  replaceFile(path, text);
  return path;
}
