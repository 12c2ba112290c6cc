// Sections 2 and 3: QEMU boots to the marker for tarboot and the baseline, same kernel (the ELF
// vmlinux through PVH), same memory, same CPUs, same command line, same root tarballs served by
// the same HTTP server; then the smallest -m that boots the ~200 MB root, for each.
import { mkdirSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { serveDir, type FileServer } from "../../qemu-tests/lib/http";
import { bootQemu } from "../../qemu-tests/lib/qemu";
import { type BisectPlan, type BisectResult, type Probe, bisectMemory } from "./bisect";
import { defer } from "./cleanup";
import {
  MARKER_RE,
  type StagePoint,
  baselineMemBeforeSwitch,
  type TarbootTimeline,
  failureHint,
  kernelHandover,
  parseBaselineStages,
  parseMarker,
  parseTimeline,
} from "./console-parse";
import { INIT_PATH } from "./marker";
import type { BootRootName } from "./options";
import type { BootRoot } from "./roots";
import { median, ratio } from "./stats";

export type BootContender = "baseline" | "tarboot";

export interface BootSetup {
  vmlinux: string;
  initrd: Record<BootContender, string>;
  smp: number;
  workDir: string;
  log: (line: string) => void;
}

export interface BootRun {
  contender: BootContender;
  root: BootRootName;
  memoryMiB: number;
  /** Host seconds from starting QEMU to the marker line on the console; null if it never came. */
  seconds: number | null;
  /** Host seconds QEMU ran in all (to the marker plus the kill, or to its failure). */
  qemuSeconds: number;
  /** Guest uptime when the root's init ran. */
  guestUptime?: number;
  /** Guest uptime when the kernel ran /init (the initramfs unpacked). */
  kernelHandover?: number;
  memAvailableKiB?: number;
  timeline?: TarbootTimeline;
  baselineStages?: StagePoint[];
  /** The baseline's MemAvailable just before switch_root (KiB). */
  memBeforeSwitchKiB?: number;
  failure?: string;
  timedOut: boolean;
  log: string;
}

export interface BootCase {
  root: BootRootName;
  rootBytes: number;
  description: string;
  memoryMiB: number;
  runs: BootRun[];
  median: Record<BootContender, number | null>;
  /** tarboot / baseline, medians of the host seconds. */
  ratio: number | null;
}

export interface MemoryCase {
  root: BootRootName;
  results: Record<BootContender, BisectResult>;
}

let bootCounter = 0;

function append(server: FileServer, root: BootRoot, extra: string): string {
  const name = root.path.slice(root.path.lastIndexOf("/") + 1);
  return `console=ttyS0 panic=-1 root=http://10.0.2.2:${server.port}/${name} init=${INIT_PATH}${extra ? ` ${extra}` : ""}`;
}

/** One boot, bounded by `timeoutMs`; QEMU is killed as soon as the marker line is complete. */
export async function bootOnce(
  setup: BootSetup,
  server: FileServer,
  contender: BootContender,
  root: BootRoot,
  memoryMiB: number,
  timeoutMs: number,
  extra = "",
): Promise<BootRun> {
  const log = join(setup.workDir, `boot-${String(++bootCounter).padStart(3, "0")}-${contender}-${root.name}-${memoryMiB}m.log`);
  let text = "";
  let markerAt: number | null = null;
  const started = performance.now();
  const r = await bootQemu({
    kernel: setup.vmlinux,
    initrd: setup.initrd[contender],
    append: append(server, root, extra),
    until: MARKER_RE,
    timeoutMs,
    memoryMiB,
    smp: setup.smp,
    logFile: log,
    onOutput: (chunk) => {
      text += chunk;
      if (markerAt === null && chunk.includes("\n") && MARKER_RE.test(text.slice(-4096))) markerAt = performance.now();
    },
  });
  const marker = parseMarker(r.console);
  const run: BootRun = {
    contender,
    root: root.name,
    memoryMiB,
    seconds: marker && markerAt !== null ? (markerAt - started) / 1000 : null,
    qemuSeconds: r.seconds,
    guestUptime: marker?.uptime,
    kernelHandover: kernelHandover(r.console) ?? undefined,
    memAvailableKiB: marker?.memAvailableKiB,
    timedOut: r.timedOut && !marker,
    log,
  };
  if (contender === "tarboot") run.timeline = parseTimeline(r.console) ?? undefined;
  else {
    run.baselineStages = parseBaselineStages(r.console);
    run.memBeforeSwitchKiB = baselineMemBeforeSwitch(r.console) ?? undefined;
  }
  if (!marker) run.failure = (r.timedOut ? `no marker within ${Math.round(timeoutMs / 1000)}s` : `QEMU exited (${r.exitCode}) without the marker`) + (failureHint(r.console) ? `: ${failureHint(r.console)}` : "");
  return run;
}

/** Serves the roots' directory entries under their own names for the guests (10.0.2.2). */
export async function serveRoots(roots: BootRoot[], workDir: string): Promise<{ server: FileServer; close: () => Promise<void> }> {
  const dir = join(workDir, "roots");
  mkdirSync(dir, { recursive: true });
  for (const r of roots) symlinkSync(r.path, join(dir, r.path.slice(r.path.lastIndexOf("/") + 1)));
  const server = await serveDir(dir);
  return { server, close: defer("boot HTTP server", () => server.close()) };
}

/** A generous bound per boot: TCG start-up plus a second per compressed MiB, doubled. */
export function bootTimeoutMs(root: BootRoot): number {
  return (120 + root.bytes / 1048576) * 2 * 1000;
}

export async function benchBoots(setup: BootSetup, server: FileServer, roots: BootRoot[], runsPerRoot: Record<BootRootName, number>, memoryMiB: number): Promise<BootCase[]> {
  const cases: BootCase[] = [];
  for (const root of roots) {
    const c: BootCase = { root: root.name, rootBytes: root.bytes, description: root.description, memoryMiB, runs: [], median: { baseline: null, tarboot: null }, ratio: null };
    for (let i = 0; i < runsPerRoot[root.name]; i++) {
      const order: BootContender[] = i % 2 === 0 ? ["baseline", "tarboot"] : ["tarboot", "baseline"];
      for (const who of order) {
        const run = await bootOnce(setup, server, who, root, memoryMiB, bootTimeoutMs(root));
        c.runs.push(run);
        setup.log(`boot ${root.name.padEnd(6)} ${who.padEnd(8)} ${run.seconds === null ? `FAILED (${run.failure})` : `${run.seconds.toFixed(1)}s`}  ${stageSummary(run)}`);
      }
    }
    const secs = (who: BootContender) => c.runs.filter((r) => r.contender === who && r.seconds !== null).map((r) => r.seconds!);
    c.median = { baseline: median(secs("baseline")), tarboot: median(secs("tarboot")) };
    c.ratio = ratio(c.median.tarboot, c.median.baseline);
    cases.push(c);
  }
  return cases;
}

/** `kernel 2.1 | network 0.8 | mount 6.0 | ...` in guest seconds, for the progress log. */
export function stageSummary(run: BootRun): string {
  const parts: string[] = [];
  if (run.kernelHandover !== undefined) parts.push(`/init at ${run.kernelHandover.toFixed(1)}`);
  if (run.timeline) {
    parts.push(`node start ${(run.timeline.initStartMs / 1000).toFixed(1)}`);
    for (const s of run.timeline.stages) if (s.durationMs !== null && s.durationMs >= 50) parts.push(`${s.stage} ${(s.durationMs / 1000).toFixed(1)}`);
  }
  if (run.baselineStages && run.baselineStages.length > 0) {
    let prev = run.baselineStages[0].at;
    parts.push(`script start ${prev.toFixed(1)}`);
    for (const s of run.baselineStages.slice(1)) {
      parts.push(`${s.stage} ${(s.at - prev).toFixed(1)}`);
      prev = s.at;
    }
  }
  if (run.guestUptime !== undefined) parts.push(`root init at ${run.guestUptime.toFixed(1)}`);
  return parts.join(" | ");
}

/**
 * The minimum memory for `root`, per contender. Both get rootsize=100% (the baseline's script
 * reads it too): with the default 50% cap the search would find the cap, not what each design
 * needs. `knownGood` is a size that booted in the timed runs (a bigger cap only helps).
 */
export async function benchMemory(
  setup: BootSetup,
  server: FileServer,
  root: BootRoot,
  plan: BisectPlan,
  knownGood: Partial<Record<BootContender, { memoryMiB: number; seconds: number }>>,
): Promise<MemoryCase> {
  const results = {} as Record<BootContender, BisectResult>;
  for (const who of ["baseline", "tarboot"] as const) {
    const good = knownGood[who];
    // A boot short of memory may crawl (reclaim) before it fails: allow it a good margin.
    const timeoutMs = good ? Math.max(90_000, good.seconds * 2.5 * 1000 + 30_000) : bootTimeoutMs(root);
    const probe = async (mib: number): Promise<Probe> => {
      const run = await bootOnce(setup, server, who, root, mib, timeoutMs, "rootsize=100%");
      setup.log(`memory ${root.name} ${who.padEnd(8)} -m ${String(mib).padStart(4)}: ${run.seconds === null ? `no (${run.failure})` : `booted in ${run.seconds.toFixed(1)}s`}`);
      return { memoryMiB: mib, booted: run.seconds !== null, seconds: run.seconds, failure: run.failure };
    };
    results[who] = await bisectMemory(plan, probe, good?.memoryMiB);
  }
  return { root: root.name, results };
}
