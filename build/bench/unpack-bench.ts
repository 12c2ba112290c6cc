// Section 1: host unpack throughput, `tarboot extract` (the shipped init executable's own
// pipeline) against GNU tar with the usual decompressor in front, from a file and from a local
// HTTP server (curl | decompressor | tar), into a fresh tmpfs every run.
import { createReadStream, mkdirSync, symlinkSync } from "node:fs";
import { basename, join } from "node:path";
import { serveDir } from "../../qemu-tests/lib/http";
import { defer } from "./cleanup";
import type { UnpackInput } from "./inputs";
import type { UnpackFormat } from "./options";
import { runTimed } from "./proc";
import { median, ratio } from "./stats";
import { withTmpfs } from "./tmpfs";
import { summarizeTree, type TreeSummary } from "./tree";

export type Contender = "gnu" | "tarboot";

export interface UnpackCase {
  format: UnpackFormat;
  source: "file" | "http";
  inputBytes: number;
  xzBlocks?: number;
  made: string;
  commands: Record<Contender, string>;
  /** Seconds per run, spawn to exit; NaN for a failed run. */
  seconds: Record<Contender, number[]>;
  median: Record<Contender, number | null>;
  /** tarboot / GNU tar, medians. */
  ratio: number | null;
  /** Both trees from the first run, which must agree. */
  tree: Partial<Record<Contender, TreeSummary>>;
  errors: string[];
}

/** GNU tar's side: the decompressor piped into tar, as people write it (xz gets all cores). */
export const DECOMPRESSOR: Record<UnpackFormat, string> = {
  gz: "gzip -dc",
  zst: "zstd -dc",
  xz: "xz -T0 -dc",
  "xz-mt": "xz -T0 -dc",
};
export const GNU_TAR = "tar --xattrs --xattrs-include='*' -xpf - -C";

function gnuScript(format: UnpackFormat, source: "file" | "http"): string {
  const feed = source === "file" ? `${DECOMPRESSOR[format]} < "$1"` : `curl -sSf "$1" | ${DECOMPRESSOR[format]}`;
  return `set -o pipefail; ${feed} | ${GNU_TAR} "$2"`;
}

async function warmPageCache(path: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const s = createReadStream(path, { highWaterMark: 1 << 20 });
    s.on("data", () => undefined).on("end", resolve).on("error", reject);
  });
}

export interface UnpackBenchOptions {
  init: string;
  runs: number;
  workDir: string;
  tmpfsMiB: number;
  log: (line: string) => void;
}

async function runOne(
  who: Contender,
  c: UnpackCase,
  src: string,
  opts: UnpackBenchOptions,
  check: boolean,
): Promise<number> {
  return withTmpfs(opts.tmpfsMiB, async (dir) => {
    const r =
      who === "gnu"
        ? await runTimed("bash", ["-c", gnuScript(c.format, c.source), "bench", src, dir], { timeoutMs: 600_000 })
        : await runTimed(opts.init, ["extract", src, dir], { timeoutMs: 600_000 });
    if (r.timedOut || r.code !== 0) {
      c.errors.push(`${who} ${c.format} ${c.source}: ${r.timedOut ? "timed out" : `exit ${r.code ?? r.signal}`}: ${r.stderr.trim().slice(-500)}`);
      return Number.NaN;
    }
    if (check) c.tree[who] = summarizeTree(dir);
    return r.seconds;
  });
}

export async function benchUnpack(inputs: UnpackInput[], opts: UnpackBenchOptions): Promise<UnpackCase[]> {
  const cases: UnpackCase[] = [];
  const served = join(opts.workDir, "served");
  mkdirSync(served, { recursive: true });
  for (const input of inputs) symlinkSync(input.path, join(served, `${input.format}-${basename(input.path)}`));
  const server = await serveDir(served);
  const closeServer = defer("unpack HTTP server", () => server.close());
  try {
    for (const source of ["file", "http"] as const) {
      for (const input of inputs) {
        const src = source === "file" ? input.path : `http://127.0.0.1:${server.port}/${input.format}-${basename(input.path)}`;
        const c: UnpackCase = {
          format: input.format,
          source,
          inputBytes: input.bytes,
          xzBlocks: input.xzBlocks,
          made: input.made,
          commands: {
            gnu: gnuScript(input.format, source).replace("set -o pipefail; ", "").replace('"$1"', src).replace('"$2"', "DIR"),
            tarboot: `${basename(opts.init)} extract ${src} DIR`,
          },
          seconds: { gnu: [], tarboot: [] },
          median: { gnu: null, tarboot: null },
          ratio: null,
          tree: {},
          errors: [],
        };
        await warmPageCache(input.path);
        for (let run = 0; run < opts.runs; run++) {
          // Alternate who goes first, so a load spike from elsewhere hits both sides alike.
          const order: Contender[] = run % 2 === 0 ? ["gnu", "tarboot"] : ["tarboot", "gnu"];
          for (const who of order) c.seconds[who].push(await runOne(who, c, src, opts, run === 0));
        }
        c.median = { gnu: median(c.seconds.gnu), tarboot: median(c.seconds.tarboot) };
        c.ratio = ratio(c.median.tarboot, c.median.gnu);
        const { gnu, tarboot } = c.tree;
        if (gnu && tarboot && (gnu.entries !== tarboot.entries || gnu.bytes !== tarboot.bytes)) {
          c.errors.push(`trees differ: GNU tar ${gnu.entries} entries/${gnu.bytes} bytes, tarboot ${tarboot.entries} entries/${tarboot.bytes} bytes`);
        }
        opts.log(
          `unpack ${c.format.padEnd(5)} ${source.padEnd(4)}: GNU tar ${fmt(c.median.gnu)}  tarboot ${fmt(c.median.tarboot)}  ratio ${c.ratio?.toFixed(2) ?? "n/a"}` +
            `  [${c.seconds.gnu.map(fmt).join(" ")} | ${c.seconds.tarboot.map(fmt).join(" ")}]${c.errors.length ? `  ERRORS: ${c.errors.join("; ")}` : ""}`,
        );
        cases.push(c);
      }
    }
  } finally {
    await closeServer();
  }
  return cases;
}

const fmt = (s: number | null): string => (s === null || Number.isNaN(s) ? "fail" : `${s.toFixed(2)}s`);
