// `npm run bench`: tarboot against what it replaces, side by side in one run on one machine.
//   1. unpack on the host: `tarboot extract` vs GNU tar, file and HTTP, four compressions
//   2. QEMU boots to a marker: tarboot's initramfs vs a busybox shell initramfs, four roots
//   3. the smallest -m that boots the ~200 MB root, for each
//   4. initramfs sizes and the RAM left to the booted system
// Prints Markdown tables with PASS/MISS per target, writes the raw results to
// build/bench/results/bench-DATE.json and, for a full default run, build/bench/RESULTS.md.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { cpus, loadavg, release, tmpdir, totalmem } from "node:os";
import { join, relative } from "node:path";
import { performance } from "node:perf_hooks";
import { accelerator, cpuArgs } from "../../qemu-tests/lib/qemu";
import { ensureDebianRootTarball } from "../../src/testing/debian-root";
import { ROOT } from "../paths.mjs";
import { DEMO_TOOLS, ensureTools } from "../prereqs";
import { buildBaseline } from "./baseline";
import { type BootContender, benchBoots, benchMemory, serveRoots } from "./boot-bench";
import { installSignalHandlers, undoAll } from "./cleanup";
import { unpackInputs } from "./inputs";
import { benchKernel } from "./kernel";
import { type BenchOptions, type BootRootName, SECTIONS, USAGE, parseBenchArgs } from "./options";
import { runTimed } from "./proc";
import { type BenchResults, computeTargets, renderMarkdown } from "./report";
import { bootRoots } from "./roots";
import { imageSize } from "./sizes";
import { verdict } from "./stats";
import { benchUnpack } from "./unpack-bench";

const RESULTS_DIR = join(ROOT, "build/bench/results");
const RESULTS_MD = join(ROOT, "build/bench/RESULTS.md");
const OUT = join(ROOT, "build/out");

function firstLine(cmd: string, args: string[]): string {
  try {
    return execFileSync(cmd, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], timeout: 10_000 }).split("\n")[0].trim();
  } catch {
    return "unknown";
  }
}

function toolVersions(): Record<string, string> {
  return {
    node: process.version,
    qemu: firstLine("qemu-system-x86_64", ["--version"]),
    tar: firstLine("tar", ["--version"]),
    zstd: firstLine("zstd", ["--version"]),
    xz: firstLine("xz", ["--version"]),
    gzip: firstLine("gzip", ["--version"]),
    curl: firstLine("curl", ["--version"]),
    busybox: firstLine("/bin/busybox", ["--help"]),
  };
}

/** `npm run build` in a child process, so its output and time stay apart from the measurements. */
async function buildImages(opts: BenchOptions, needImage: boolean, log: (l: string) => void): Promise<{ init: string; initramfs: string }> {
  let images = { init: join(OUT, "init"), initramfs: join(OUT, "initramfs.img") };
  if (!opts.reuseBuild) {
    log("building the init and its initramfs (npm run build)");
    const r = await runTimed(process.execPath, [join(ROOT, "build/run-ts.mjs"), join(ROOT, "build/build-main.ts")], { timeoutMs: 1_800_000 });
    const init = /^init: (.+)$/m.exec(r.stdout)?.[1];
    const initramfs = /^initramfs: (.+)$/m.exec(r.stdout)?.[1];
    if (r.code !== 0 || !init || !initramfs) {
      throw new Error(`npm run build failed (${r.timedOut ? "timed out" : `exit ${r.code}`}): ${(r.stderr + r.stdout).trim().slice(-1500)}`);
    }
    images = { init, initramfs };
  }
  if (opts.initramfs) images.initramfs = opts.initramfs;
  for (const f of needImage ? [images.init, images.initramfs] : [images.init]) {
    if (!existsSync(f)) throw new Error(`${f} does not exist; run npm run build (or leave out --reuse-build)`);
  }
  return images;
}

function stamp(d: Date): string {
  return d.toISOString().slice(0, 16).replace(":", "-");
}

async function run(opts: BenchOptions, results: BenchResults, work: string, log: (l: string) => void): Promise<void> {
  const want = (s: (typeof SECTIONS)[number]) => opts.sections.includes(s);
  const needVm = want("boot") || want("memory") || want("size");
  const images = await buildImages(opts, needVm, log);
  const kernel = needVm ? await benchKernel() : undefined;
  const baseline = kernel ? await buildBaseline(kernel, join(work, "baseline-initramfs.img")) : undefined;
  if (want("size") && baseline) {
    results.sizes.tarboot = await imageSize(images.initramfs);
    results.sizes.baseline = { path: baseline.path, compressedBytes: baseline.compressedBytes, unpackedBytes: baseline.cpioBytes, compression: "zstd" };
    log(`initramfs: tarboot ${(results.sizes.tarboot.compressedBytes / 1048576).toFixed(1)} MiB, baseline ${(baseline.compressedBytes / 1048576).toFixed(1)} MiB (compressed)`);
  }

  if (want("unpack")) {
    const inputs = await unpackInputs(opts.formats);
    results.unpack = await benchUnpack(inputs, { init: images.init, runs: opts.runs, workDir: work, tmpfsMiB: 1024, log });
    const tree = results.unpack.find((c) => c.tree.gnu)?.tree.gnu;
    if (tree) results.unpackTree = { ...tree, tarBytes: statSync(await ensureDebianRootTarball()).size };
    for (const c of results.unpack) results.errors.push(...c.errors);
  }

  if (!kernel || !baseline || !(want("boot") || want("memory"))) return;
  const rootNames = new Set<BootRootName>(want("boot") ? opts.roots : []);
  if (want("memory")) rootNames.add("200M");
  const roots = await bootRoots([...rootNames]);
  const { server, close } = await serveRoots(roots, work);
  try {
    const setup = { vmlinux: kernel.vmlinux, initrd: { tarboot: images.initramfs, baseline: baseline.path }, smp: opts.smp, workDir: work, log };
    if (want("boot")) {
      results.boot = await benchBoots(setup, server, roots.filter((r) => opts.roots.includes(r.name)), opts.bootRuns, opts.memoryMiB);
      for (const c of results.boot) for (const r of c.runs) if (r.failure) results.errors.push(`boot ${c.root} ${r.contender}: ${r.failure} (${relative(ROOT, r.log)})`);
    }
    if (want("memory")) {
      const root = roots.find((r) => r.name === "200M")!;
      const timed = results.boot.find((c) => c.root === "200M");
      const knownGood: Partial<Record<BootContender, { memoryMiB: number; seconds: number }>> = {};
      for (const who of ["baseline", "tarboot"] as const) {
        const s = timed?.median[who];
        if (s != null) knownGood[who] = { memoryMiB: opts.memoryMiB, seconds: s };
      }
      results.memory = [await benchMemory(setup, server, root, opts.bisect, knownGood)];
    }
  } finally {
    await close();
  }
}

async function main(argv: string[]): Promise<number> {
  let opts: BenchOptions | "help";
  try {
    opts = parseBenchArgs(argv);
  } catch (err) {
    process.stderr.write(`bench: ${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  if (opts === "help") {
    process.stdout.write(USAGE);
    return 0;
  }
  if (process.getuid?.() !== 0) {
    process.stderr.write("bench: run as root (it mounts a tmpfs per unpack run and builds the Debian root with debootstrap)\n");
    return 2;
  }
  ensureTools([...DEMO_TOOLS, { check: "curl", pkg: "curl" }, { check: "gzip", pkg: "gzip" }, { check: "tar", pkg: "tar" }, { check: "debootstrap", pkg: "debootstrap" }]);
  const started = performance.now();
  const date = new Date();
  const work = mkdtempSync(join(tmpdir(), "tarboot-bench-"));
  installSignalHandlers(() => {
    if (opts.keep) process.stderr.write(`bench: consoles kept in ${work}\n`);
    else rmSync(work, { recursive: true, force: true });
  });
  const log = (line: string) => process.stdout.write(`[${((performance.now() - started) / 1000).toFixed(0).padStart(4)}s] ${line}\n`);
  const results: BenchResults = {
    version: 1,
    date: date.toISOString(),
    command: `npm run bench${argv.length ? ` -- ${argv.join(" ")}` : ""}`,
    options: opts,
    machine: {
      cpu: cpus()[0]?.model ?? "unknown",
      cpus: cpus().length,
      memoryMiB: Math.round(totalmem() / 1048576),
      kernel: release(),
      loadavgStart: loadavg(),
      loadavgEnd: [],
      accel: [accelerator(), ...cpuArgs(accelerator())].join(" "),
    },
    tools: toolVersions(),
    seconds: 0,
    unpack: [],
    boot: [],
    memory: [],
    sizes: {},
    targets: [],
    errors: [],
  };
  log(`work directory ${work}; load average ${results.machine.loadavgStart.map((x) => x.toFixed(2)).join(" ")}`);
  let failed = false;
  try {
    await run(opts, results, work, log);
  } catch (err) {
    failed = true;
    results.errors.push(`aborted: ${err instanceof Error ? err.message : String(err)}`);
    log(`ABORTED: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  } finally {
    await undoAll();
  }
  results.machine.loadavgEnd = loadavg();
  results.seconds = (performance.now() - started) / 1000;
  results.targets = computeTargets(results).map((t) => ({ ...t, verdict: verdict(t) }));
  mkdirSync(RESULTS_DIR, { recursive: true });
  const json = opts.json ?? join(RESULTS_DIR, `bench-${stamp(date)}${opts.quick ? "-quick" : ""}.json`);
  writeFileSync(json, JSON.stringify(results, null, 2) + "\n");
  const md = renderMarkdown(results);
  const full = !opts.quick && SECTIONS.every((s) => opts.sections.includes(s)) && !failed;
  if (full) writeFileSync(RESULTS_MD, md);
  process.stdout.write(`\n${md}\nraw results: ${relative(process.cwd(), json)}${full ? `; tables: ${relative(process.cwd(), RESULTS_MD)}` : ""}\n`);
  if (opts.keep || failed || results.errors.length > 0) process.stdout.write(`consoles and roots kept in ${work}\n`);
  else rmSync(work, { recursive: true, force: true });
  return failed ? 1 : 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`bench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    void undoAll().finally(() => process.exit(1));
  },
);
