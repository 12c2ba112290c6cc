// `npm run bench -- [options]`: what to measure and how often. The defaults fit the budget
// (< 30 min on 2 cores under TCG); --quick is the few-minute smoke run.
import { parseArgs } from "node:util";

export const SECTIONS = ["unpack", "boot", "memory", "size"] as const;
export type Section = (typeof SECTIONS)[number];

export const BOOT_ROOTS = ["tiny", "50M", "200M", "debian"] as const;
export type BootRootName = (typeof BOOT_ROOTS)[number];

export const UNPACK_FORMATS = ["gz", "xz", "xz-mt", "zst"] as const;
export type UnpackFormat = (typeof UNPACK_FORMATS)[number];

export interface BenchOptions {
  quick: boolean;
  sections: Section[];
  /** Host unpack runs per contender and input (the median is reported). */
  runs: number;
  /** Boots per contender for each root. */
  bootRuns: Record<BootRootName, number>;
  formats: UnpackFormat[];
  roots: BootRootName[];
  memoryMiB: number;
  smp: number;
  /** Bisection bounds and steps for the minimum memory. */
  bisect: { lowMiB: number; highMiB: number; maxSteps: number; granularityMiB: number };
  /** Use build/out/init and build/out/initramfs.img as they are instead of `npm run build`. */
  reuseBuild: boolean;
  /** Boot this tarboot image instead of build/out/initramfs.img. */
  initramfs?: string;
  /** Keep the work directory (consoles, roots) instead of deleting it. */
  keep: boolean;
  json?: string;
}

export const USAGE = `usage: npm run bench -- [options]

Measures tarboot against GNU tar (host unpack) and a busybox shell initramfs (QEMU boots) and
prints a table with PASS/MISS for the issue's targets; raw results go to build/bench/results/.

options:
  --quick             tiny root, zstd only, one run each, no memory bisection (a few minutes)
  --only LIST         sections to run, comma-separated: ${SECTIONS.join(",")} (default all)
  --runs N            host unpack runs per tool and input (default 5, quick 1)
  --boot-runs N       boots per contender and root (default 3 for the roots with a target,
                      tiny and 200M, and 1 for 50M and debian; quick 1)
  --roots LIST        boot roots: ${BOOT_ROOTS.join(",")} (default all, quick tiny)
  --formats LIST      unpack inputs: ${UNPACK_FORMATS.join(",")} (default all, quick zst)
  --memory MIB        VM memory for the timed boots (default 1024)
  --bisect-steps N    boots per contender in the memory bisection (default 5)
  --reuse-build       use build/out/init and build/out/initramfs.img as they are
                      (default: npm run build first)
  --initramfs FILE    boot this tarboot image instead (e.g. from tarboot mkinitramfs)
  --keep              keep the work directory with every console log
  --json FILE         where to write the raw results (default build/bench/results/bench-DATE.json)
  -h, --help          this text
`;

function list<T extends string>(flag: string, raw: string, allowed: readonly T[]): T[] {
  const words = raw.split(",").map((w) => w.trim()).filter((w) => w !== "");
  const bad = words.filter((w) => !allowed.includes(w as T));
  if (bad.length > 0 || words.length === 0) throw new Error(`--${flag} ${raw}: accepted: ${allowed.join(", ")}`);
  return [...new Set(words)] as T[];
}

function positive(flag: string, raw: string | undefined, fallback: number, min = 1): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) throw new Error(`--${flag} ${raw}: expected a whole number ≥ ${min}`);
  return n;
}

/**
 * Roots with a target get a median of three by default: TCG boots on a shared 2-CPU machine have
 * one-sided outliers (a 200M baseline boot once took 34.9 s against 20.0 s), which a median of two
 * averages in. The others are context, one boot each.
 */
function bootRuns(raw: string | undefined, quick: boolean): Record<BootRootName, number> {
  if (raw !== undefined) {
    const n = positive("boot-runs", raw, 1);
    return { tiny: n, "50M": n, "200M": n, debian: n };
  }
  return quick ? { tiny: 1, "50M": 1, "200M": 1, debian: 1 } : { tiny: 3, "50M": 1, "200M": 3, debian: 1 };
}

/** The options, or "help"; throws an Error naming the flag on bad input. */
export function parseBenchArgs(argv: string[]): BenchOptions | "help" {
  const { values } = parseArgs({
    args: argv,
    allowPositionals: false,
    options: {
      quick: { type: "boolean", default: false },
      only: { type: "string" },
      runs: { type: "string" },
      "boot-runs": { type: "string" },
      roots: { type: "string" },
      formats: { type: "string" },
      memory: { type: "string" },
      "bisect-steps": { type: "string" },
      "reuse-build": { type: "boolean", default: false },
      initramfs: { type: "string" },
      keep: { type: "boolean", default: false },
      json: { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) return "help";
  const quick = values.quick ?? false;
  const formats = values.formats ? list("formats", values.formats, UNPACK_FORMATS) : quick ? (["zst"] as UnpackFormat[]) : [...UNPACK_FORMATS];
  const sections = values.only ? list("only", values.only, SECTIONS) : quick ? SECTIONS.filter((s) => s !== "memory") : [...SECTIONS];
  return {
    quick,
    sections,
    runs: positive("runs", values.runs, quick ? 1 : 5),
    bootRuns: bootRuns(values["boot-runs"], quick),
    formats,
    roots: values.roots ? list("roots", values.roots, BOOT_ROOTS) : quick ? (["tiny"] as BootRootName[]) : [...BOOT_ROOTS],
    memoryMiB: positive("memory", values.memory, 1024, 128),
    smp: 2,
    bisect: { lowMiB: 256, highMiB: 4096, maxSteps: positive("bisect-steps", values["bisect-steps"], 5), granularityMiB: 32 },
    reuseBuild: values["reuse-build"] ?? false,
    initramfs: values.initramfs,
    keep: values.keep ?? false,
    json: values.json,
  };
}
