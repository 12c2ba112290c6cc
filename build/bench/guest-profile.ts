// `node build/run-ts.mjs build/bench/guest-profile.ts [--root 200M] [--memory 2048]`: where
// tarboot's unpack time goes inside the TCG guest, where boots are measured. Boots the baseline
// initramfs plus the init executable (build/out/init, as `npm run build` left it) and, with the
// network up, times on the same HTTP download: busybox wget to a file, | zstd -dc, | sha256sum,
// | zstd -dc | tar -x, | tarboot extract -; `tarboot extract URL` into a tmpfs; from the downloaded
// file: cat | tarboot extract -, zstd -dc | tar -x, tarboot extract FILE (network, pipe and file
// costs apart); tarboot extract URL under --cpu-prof, and the executable's bare start-up. Prints
// the timings and the profile's busiest functions; the .cpuprofile (for Chrome DevTools) goes to
// build/cache/bench/profile/. With --startup the profiled run is the bare start-up
// (`extract --help`) instead: where Node's and the bundle's start-up time goes.
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { bootQemu } from "../../qemu-tests/lib/qemu";
import { writeCompressed } from "../../src/initramfs/compress";
import { type CpioEntry, writeCpio } from "../../src/initramfs/cpio";
import { resolveLibraries } from "../../src/initramfs/libs";
import { DLOPENED_LIBRARIES } from "../../src/sys/dlopened";
import { ROOT } from "../paths.mjs";
import { baselineEntries } from "./baseline";
import { networkPrelude } from "./baseline-init";
import { serveRoots } from "./boot-bench";
import { installSignalHandlers, undoAll } from "./cleanup";
import { BENCH_CACHE } from "./inputs";
import { benchKernel } from "./kernel";
import { BOOT_ROOTS, type BootRootName } from "./options";
import { type CpuProfile, selfTimes } from "./profile-summary";
import { bootRoots } from "./roots";

const INIT = join(ROOT, "build/out/init");
const STEPS: Array<[string, string]> = [
  ["wget", "busybox wget URL -O FILE (the initramfs, RAM)"],
  ["wget-zstd", "busybox wget -O - URL | zstd -dc > /dev/null"],
  ["wget-sha256", "busybox wget -O - URL | busybox sha256sum"],
  ["wget-zstd-tar", "busybox wget -O - URL | zstd -dc | tar -x (tmpfs)"],
  ["wget-tarboot", "busybox wget -O - URL | tarboot extract - /root"],
  ["tarboot", "tarboot extract URL /root (tmpfs)"],
  ["cat-tarboot", "cat FILE | tarboot extract - /root"],
  ["zstd-tar", "zstd -dc FILE | tar -x"],
  ["file-tarboot", "tarboot extract FILE /root"],
  ["tarboot-profiled", "tarboot extract URL under --cpu-prof"],
  ["tarboot-start", "tarboot extract --help (start-up only)"],
];

function script(prelude: string, startup: boolean): string {
  const profiled = startup ? "/tarboot extract --help > /dev/null" : '/tarboot extract --quiet "$url" /root';
  return `${prelude}
t() { read up idle < /proc/uptime; echo "PROFILE-T $1 $up"; }
fresh() { umount /root 2>/dev/null; mount -t tmpfs -o size=90% root /root || fail "tmpfs"; }
t begin
wget -q -O /tmp/layer "$url" || fail "wget"; t wget
wget -q -O - "$url" | zstd -dcq > /dev/null; t wget-zstd
wget -q -O - "$url" | sha256sum > /dev/null; t wget-sha256
fresh; t fresh
wget -q -O - "$url" | zstd -dcq | tar -x -C /root || fail "wget | zstd | tar"; t wget-zstd-tar
fresh; t fresh
wget -q -O - "$url" | /tarboot extract --quiet - /root || fail "wget | tarboot extract"; t wget-tarboot
fresh; t fresh
/tarboot extract --quiet "$url" /root || fail "tarboot extract"; t tarboot
fresh; t fresh
cat /tmp/layer | /tarboot extract --quiet - /root || fail "cat | tarboot extract"; t cat-tarboot
fresh; t fresh
zstd -dcq /tmp/layer | tar -x -C /root || fail "zstd | tar"; t zstd-tar
fresh; t fresh
/tarboot extract --quiet /tmp/layer /root || fail "tarboot extract FILE"; t file-tarboot
rm /tmp/layer
fresh; t fresh
NODE_OPTIONS="--cpu-prof --cpu-prof-dir=/tmp/profile" ${profiled} || fail "tarboot extract (profiled)"; t tarboot-profiled
/tarboot extract --help > /dev/null; t tarboot-start
echo PROFILE-BEGIN
base64 /tmp/profile/*.cpuprofile
echo PROFILE-END
reboot -f
`;
}

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { root: { type: "string", default: "200M" }, memory: { type: "string", default: "2048" }, startup: { type: "boolean", default: false } } });
  const rootName = values.root as BootRootName;
  if (!BOOT_ROOTS.includes(rootName)) throw new Error(`--root ${values.root}: accepted: ${BOOT_ROOTS.join(", ")}`);
  statSync(INIT);
  const kernel = await benchKernel();
  const work = mkdtempSync(join(tmpdir(), "tarboot-guest-profile-"));
  installSignalHandlers(() => rmSync(work, { recursive: true, force: true }));
  try {
    const [root] = await bootRoots([rootName]);
    const { server, close } = await serveRoots([root], work);
    try {
      const { entries, modules } = baselineEntries(kernel);
      const image: CpioEntry[] = entries.filter((e) => e.path !== "init");
      image.push({ type: "file", path: "init", mode: 0o755, data: Buffer.from(script(networkPrelude(kernel.version, modules), values.startup)) });
      image.push({ type: "file", path: "tarboot", mode: 0o755, source: INIT, size: statSync(INIT).size });
      const have = new Set(image.map((e) => e.path.replace(/^\/+/, "")));
      for (const f of resolveLibraries([INIT], undefined, DLOPENED_LIBRARIES).files) {
        const path = f.path.replace(/^\/+/, "");
        if (!have.has(path)) image.push({ type: "file", path, mode: 0o755, source: f.source, size: statSync(f.source).size });
      }
      const initrd = join(work, "profile-initramfs.img");
      await writeCompressed(writeCpio(image, { mtime: 0 }), "zstd", initrd);
      const url = `http://10.0.2.2:${server.port}/${root.path.slice(root.path.lastIndexOf("/") + 1)}`;
      process.stdout.write(`booting: ${url} (${(root.bytes / 1048576).toFixed(1)} MiB), -m ${values.memory}\n`);
      const r = await bootQemu({
        kernel: kernel.vmlinux,
        initrd,
        append: `console=ttyS0 panic=-1 root=${url}`,
        until: /PROFILE-END/,
        timeoutMs: 1_800_000,
        memoryMiB: Number(values.memory),
        smp: 2,
        logFile: join(work, "console.log"),
      });
      const lines = r.console.replace(/\r/g, "").split("\n");
      const at = new Map<string, number>();
      let prev: number | undefined;
      const spans = new Map<string, number>();
      for (const l of lines) {
        const m = /^PROFILE-T (\S+) ([0-9.]+)$/.exec(l);
        if (!m) continue;
        const t = Number(m[2]);
        if (prev !== undefined) spans.set(m[1], t - prev);
        at.set(m[1], t);
        prev = t;
      }
      if (!spans.has("tarboot-start")) throw new Error(`the guest did not finish (console: ${join(work, "console.log")})`);
      const mib = root.bytes / 1048576;
      process.stdout.write(`\n| step (guest, TCG) | seconds | MiB/s of download |\n|---|---|---|\n`);
      for (const [id, label] of STEPS) {
        const s = spans.get(id);
        process.stdout.write(`| ${label} | ${s?.toFixed(2) ?? "–"} | ${s && id !== "tarboot-start" ? (mib / s).toFixed(1) : "–"} |\n`);
      }
      const b = lines.indexOf("PROFILE-BEGIN");
      const e = lines.indexOf("PROFILE-END");
      const profile = JSON.parse(Buffer.from(lines.slice(b + 1, e).join(""), "base64").toString("utf8")) as CpuProfile;
      const dir = join(BENCH_CACHE, "profile");
      mkdirSync(dir, { recursive: true });
      const file = join(dir, `guest-extract-${rootName}-${new Date().toISOString().slice(0, 16).replace(":", "-")}.cpuprofile`);
      writeFileSync(file, JSON.stringify(profile));
      const { totalMs, top } = selfTimes(profile);
      process.stdout.write(`\ntarboot extract under --cpu-prof in the guest: ${(totalMs / 1000).toFixed(1)} s of main-thread samples; busiest (self time):\n\n| function | seconds | share |\n|---|---|---|\n`);
      for (const t of top.slice(0, 20)) process.stdout.write(`| ${t.where} | ${(t.ms / 1000).toFixed(2)} | ${((t.ms / totalMs) * 100).toFixed(1)}% |\n`);
      process.stdout.write(`\nprofile: ${file}\n`);
      rmSync(work, { recursive: true, force: true });
      return 0;
    } finally {
      await close();
    }
  } finally {
    await undoAll();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`guest-profile: ${err instanceof Error ? err.message : String(err)}\n`);
    void undoAll().finally(() => process.exit(1));
  },
);
