// The results as one JSON document and as the Markdown tables printed at the end (and pasted into
// the README): absolute figures, ratios, and PASS/MISS for every target of the issue.
import type { BootCase, BootContender, BootRun, MemoryCase } from "./boot-bench";
import type { BenchOptions } from "./options";
import type { ImageSize } from "./sizes";
import { type Target, formatRatio, median, verdict } from "./stats";
import type { UnpackCase } from "./unpack-bench";

export interface Machine {
  cpu: string;
  cpus: number;
  memoryMiB: number;
  kernel: string;
  loadavgStart: number[];
  loadavgEnd: number[];
  accel: string;
}

export interface BenchResults {
  version: 1;
  date: string;
  command: string;
  options: BenchOptions;
  machine: Machine;
  tools: Record<string, string>;
  seconds: number;
  unpack: UnpackCase[];
  unpackTree?: { entries: number; bytes: number; tarBytes: number };
  boot: BootCase[];
  memory: MemoryCase[];
  sizes: Partial<Record<BootContender, ImageSize>>;
  targets: Array<Target & { verdict: string }>;
  errors: string[];
}

const MiB = 1048576;
const mib = (b: number | undefined | null, digits = 1): string => (b == null ? "–" : `${(b / MiB).toFixed(digits)} MiB`);
const sec = (s: number | null | undefined): string => (s == null || Number.isNaN(s) ? "fail" : `${s.toFixed(2)} s`);
const sec1 = (s: number | null | undefined): string => (s == null || Number.isNaN(s) ? "fail" : `${s.toFixed(1)} s`);
const rat = (r: number | null | undefined, bound?: number | null): string => (r == null ? "–" : formatRatio(r, bound ?? undefined));

const FORMAT_LABEL: Record<string, string> = { gz: ".tar.gz", xz: ".tar.xz, one block", "xz-mt": ".tar.xz, multi-block", zst: ".tar.zst" };

export function computeTargets(r: Pick<BenchResults, "unpack" | "boot" | "memory" | "sizes">): Target[] {
  const t: Target[] = [];
  for (const c of r.unpack) {
    t.push({ name: `unpack ${FORMAT_LABEL[c.format]} ${c.source}: tarboot / GNU tar`, value: c.ratio, limit: 1.0, op: "le", unit: "ratio" });
  }
  const boot = (root: string) => r.boot.find((c) => c.root === root);
  const b200 = boot("200M");
  if (b200) t.push({ name: "boot ~200 MB root: tarboot / baseline", value: b200.ratio, limit: 0.7, op: "le", unit: "ratio" });
  const tiny = boot("tiny");
  if (tiny) t.push({ name: "boot tiny root: tarboot / baseline", value: tiny.ratio, limit: 1.5, op: "le", unit: "ratio" });
  const m200 = r.memory.find((m) => m.root === "200M");
  if (m200) {
    const base = m200.results.baseline.minimumMiB;
    const tb = m200.results.tarboot.minimumMiB;
    t.push({
      name: `minimum -m for the ~200 MB root: tarboot < baseline (${base ?? "?"} MiB)`,
      value: tb,
      limit: base ?? Number.NaN,
      op: "lt",
      unit: "MiB",
      note: base === null ? "the baseline never booted" : undefined,
    });
  }
  const size = r.sizes.tarboot;
  if (size) t.push({ name: "tarboot initramfs compressed ≤ 32 MiB", value: size.compressedBytes / MiB, limit: 32, op: "le", unit: "MiB" });
  return t;
}

function table(head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(" | ")} |`;
  return [line(head), `|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`, ...rows.map(line)].join("\n");
}

/** The run whose host seconds is the median one (the first of the two middle ones). */
function medianRun(c: BootCase, who: BootContender): BootRun | undefined {
  const ok = c.runs.filter((r) => r.contender === who && r.seconds !== null).sort((a, b) => a.seconds! - b.seconds!);
  return ok[Math.floor((ok.length - 1) / 2)];
}

function tarbootStages(run: BootRun | undefined): string[] {
  const tl = run?.timeline;
  if (!run || !tl) return ["–", "–", "–", "–", "–", "–"];
  const dur = (stage: string) => {
    const s = tl.stages.filter((x) => x.stage === stage && x.durationMs !== null);
    return s.length ? sec1(s.reduce((a, x) => a + x.durationMs!, 0) / 1000) : "–";
  };
  return [sec1(run.kernelHandover), sec1(tl.initStartMs / 1000), dur("network"), dur("mount"), dur("switch_root"), sec1(run.guestUptime)];
}

function baselineStages(run: BootRun | undefined): string[] {
  const st = run?.baselineStages ?? [];
  if (!run || st.length === 0) return ["–", "–", "–", "–", "–", "–", "–"];
  const at = (name: string) => st.find((s) => s.stage === name)?.at;
  const d = (from: string, to: string) => {
    const a = at(from);
    const b = at(to);
    return a !== undefined && b !== undefined ? sec1(b - a) : "–";
  };
  return [sec1(run.kernelHandover), sec1(at("start")), d("start", "modules"), d("modules", "network"), d("network", "download"), d("download", "unpack"), sec1(run.guestUptime)];
}

export function renderMarkdown(r: BenchResults): string {
  const out: string[] = [];
  const m = r.machine;
  out.push(`## Benchmark results`);
  out.push("");
  out.push(
    `${r.date.slice(0, 16).replace("T", " ")} UTC, \`${r.command}\`, ${Math.round(r.seconds / 60)} min. Machine: ${m.cpu}, ${m.cpus} CPUs, ` +
      `${(m.memoryMiB / 1024).toFixed(1)} GiB RAM, Linux ${m.kernel}, QEMU accel ${m.accel}; load average ${m.loadavgStart.map((x) => x.toFixed(1)).join("/")} at start, ` +
      `${m.loadavgEnd.map((x) => x.toFixed(1)).join("/")} at the end (the machine is shared).`,
  );
  out.push("");
  if (r.unpack.length > 0) {
    const tree = r.unpackTree;
    out.push(
      `### 1. Unpack on the host\n\nThe debootstrap minbase root${tree ? ` (${tree.entries} entries, ${mib(tree.bytes, 0)} of files, ${mib(tree.tarBytes, 0)} tar)` : ""}, ` +
        `median of ${r.options.runs} run(s), a fresh tmpfs each run, wall time from spawn to exit. GNU tar: \`DECOMPRESSOR | tar --xattrs --xattrs-include='*' -xpf -\` ` +
        `(\`gzip -dc\`, \`zstd -dc\`, \`xz -T0 -dc\`; over HTTP \`curl -sSf URL |\` in front). tarboot: \`build/out/init extract SOURCE DIR\`, the shipped executable.`,
    );
    out.push("");
    out.push(
      table(
        ["input", "source", "size", "GNU tar", "tarboot", "tarboot / GNU tar", "target ≤ 1.0"],
        r.unpack.map((c) => [
          c.format === "xz-mt" && c.xzBlocks ? `.tar.xz, ${c.xzBlocks} blocks` : FORMAT_LABEL[c.format],
          c.source,
          mib(c.inputBytes, 0),
          sec(c.median.gnu),
          sec(c.median.tarboot),
          rat(c.ratio, 1),
          verdict({ name: "", value: c.ratio, limit: 1, op: "le", unit: "ratio" }),
        ]),
      ),
    );
    out.push("");
  }
  if (r.boot.length > 0) {
    out.push(
      `### 2. Boot to a marker in QEMU\n\nSeconds from starting QEMU to the root's init printing its marker line; same ELF kernel (PVH), \`-smp ${r.options.smp}\`, ` +
        `\`-m ${r.options.memoryMiB}\`, same command line (\`root=http://10.0.2.2:PORT/ROOT.tar.zst init=/bench/init\`), same HTTP server; median of the boots per contender given in the table. ` +
        `Baseline: busybox-static initramfs (insmod virtio_net, udhcpc, \`wget -O /tmp/root.tar.zst\`, \`zstd -dc | tar -x\`, switch_root).`,
    );
    out.push("");
    out.push(
      table(
        ["root", "download", "boots", "baseline", "tarboot", "tarboot / baseline", "target"],
        r.boot.map((c) => {
          const lim = c.root === "200M" ? 0.7 : c.root === "tiny" ? 1.5 : null;
          return [
            `${c.root} (${c.description})`,
            mib(c.rootBytes),
            String(c.runs.filter((x) => x.contender === "tarboot").length),
            sec1(c.median.baseline),
            sec1(c.median.tarboot),
            rat(c.ratio, lim),
            lim === null ? "–" : `≤ ${lim}: ${verdict({ name: "", value: c.ratio, limit: lim, op: "le", unit: "ratio" })}`,
          ];
        }),
      ),
    );
    out.push("");
    out.push("tarboot's timeline (guest seconds since the kernel started, from /run/tarboot/boot.json; the median run):");
    out.push("");
    out.push(
      table(
        ["root", "kernel ran /init", "node started", "network", "mount (download + unpack)", "switch_root", "root's init ran"],
        r.boot.map((c) => [c.root, ...tarbootStages(medianRun(c, "tarboot"))]),
      ),
    );
    out.push("");
    out.push("The baseline's timeline (guest seconds, from its stage lines):");
    out.push("");
    out.push(
      table(
        ["root", "kernel ran /init", "script started", "insmod", "udhcpc", "wget", "zstd -dc, tar -x", "root's init ran"],
        r.boot.map((c) => [c.root, ...baselineStages(medianRun(c, "baseline"))]),
      ),
    );
    out.push("");
  }
  for (const mc of r.memory) {
    out.push(
      `### 3. Minimum memory for the ${mc.root} root\n\nBisection on \`-m\` (≤ ${r.options.bisect.maxSteps} boots each, ${r.options.bisect.granularityMiB} MiB resolution, ` +
        `from ${r.options.bisect.lowMiB} MiB up to a size that booted), both with \`rootsize=100%\` so the tmpfs cap is not what is measured.`,
    );
    out.push("");
    out.push(
      table(
        ["contender", "boots at", "fails at", "probes (MiB: ok/fail)"],
        (["baseline", "tarboot"] as const).map((who) => {
          const b = mc.results[who];
          return [who, b.minimumMiB === null ? "never" : `${b.minimumMiB} MiB`, `${b.failedBelowMiB} MiB`, b.probes.map((p) => `${p.memoryMiB}:${p.booted ? "ok" : "fail"}`).join(" ")];
        }),
      ),
    );
    out.push("");
  }
  if (r.sizes.tarboot || r.sizes.baseline) {
    const tiny = r.boot.find((c) => c.root === "tiny");
    const memAvail = (who: BootContender) => {
      const v = median(tiny?.runs.filter((x) => x.contender === who && x.memAvailableKiB !== undefined).map((x) => x.memAvailableKiB!) ?? []);
      return v === null ? "–" : mib(v * 1024, 0);
    };
    // Over every boot of every root: one boot's figure is a MemAvailable difference, which is noisy.
    const all = r.boot.flatMap((c) => c.runs);
    const tbFreed = median(all.filter((x) => x.contender === "tarboot" && x.timeline?.freedMiB !== undefined).map((x) => x.timeline!.freedMiB!));
    const tbDeleted = all.find((x) => x.timeline?.initramfs)?.timeline?.initramfs?.bytes;
    const blGain = median(
      all.filter((x) => x.contender === "baseline" && x.memAvailableKiB !== undefined && x.memBeforeSwitchKiB !== undefined).map((x) => (x.memAvailableKiB! - x.memBeforeSwitchKiB!) / 1024),
    );
    const gained = (v: number | null) => (v === null ? "–" : `${Math.round(v) || 0} MiB`);
    out.push(`### 4. Initramfs size and RAM\n`);
    out.push(
      table(
        ["contender", "compressed", "unpacked (cpio)", `MemAvailable in the booted tiny root (-m ${r.options.memoryMiB})`, "MemAvailable gained by emptying the initramfs (median of all boots)"],
        (["baseline", "tarboot"] as const).map((who) => [
          who,
          mib(r.sizes[who]?.compressedBytes),
          mib(r.sizes[who]?.unpackedBytes),
          memAvail(who),
          who === "tarboot"
            ? `${gained(tbFreed)} (boot.json freedMiB; ${mib(tbDeleted)} of files deleted, the running init's own image is freed only by the exec)`
            : `${gained(blGain)} (MemAvailable before switch_root against the one in the root)`,
        ]),
      ),
    );
    out.push("");
  }
  out.push("### Targets\n");
  out.push(
    table(
      ["target", "measured", "bound", "verdict"],
      r.targets.map((t) => [
        t.name,
        t.value === null ? `– ${t.note ?? ""}`.trim() : t.unit === "ratio" ? formatRatio(t.value, t.limit) : `${t.value.toFixed(1)} MiB`,
        `${t.op === "le" ? "≤" : "<"} ${Number.isNaN(t.limit) ? "?" : t.unit === "ratio" ? t.limit.toFixed(1) : `${t.limit} MiB`}`,
        t.verdict,
      ]),
    ),
  );
  if (r.errors.length > 0) {
    out.push("");
    out.push("### Errors\n");
    for (const e of r.errors) out.push(`- ${e}`);
  }
  return out.join("\n") + "\n";
}
