// Benchmark: extract() against `tar -xpf` on the cached Debian root, into a tmpfs, for each
// compression; plus the bare decoders against their command-line tools.
//   node build/run-ts.mjs src/testing/tar-bench.ts [--runs N] [--formats tar,gz,zst,xz]
import { execFileSync, spawnSync } from "node:child_process";
import { createReadStream, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { parseArgs } from "node:util";
import { createDecoder } from "../unpack/decompress";
import { extract } from "../unpack/index";
import { ensureDebianRootCompressed, ensureDebianRootTarball } from "./debian-root";
import { GNU_EXTRACT_FLAGS } from "./tar-fixtures";

type Fmt = "tar" | "gz" | "zst" | "xz";
const KIND = { gz: "gzip", zst: "zstd", xz: "xz" } as const;
const TOOL = { gz: ["gzip", "-dc"], zst: ["zstd", "-dc"], xz: ["xz", "-dc"] } as const;

async function file(fmt: Fmt): Promise<string> {
  return fmt === "tar" ? ensureDebianRootTarball() : ensureDebianRootCompressed(KIND[fmt]);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { runs: { type: "string", default: "3" }, formats: { type: "string", default: "tar,gz,zst,xz" } } });
  const runs = Number(values.runs);
  const formats = (values.formats as string).split(",") as Fmt[];
  const mnt = mkdtempSync(join(tmpdir(), "tarboot-bench-"));
  execFileSync("mount", ["-t", "tmpfs", "-o", "size=3g", "tarboot-bench", mnt]);
  const fresh = (name: string) => {
    const d = join(mnt, name);
    rmSync(d, { recursive: true, force: true });
    mkdirSync(d);
    return d;
  };
  try {
    console.log("format  size(MB)  gnu-tar(s)  tarboot(s)  ratio   decoder: tool(s)  ours(s)");
    for (const fmt of formats) {
      const path = await file(fmt);
      const size = Number(execFileSync("stat", ["-c", "%s", path], { encoding: "utf8" })) / 1e6;
      const gnu: number[] = [];
      const ours: number[] = [];
      for (let i = 0; i < runs; i++) {
        const a = fresh("gnu");
        let t = performance.now();
        const r = spawnSync("tar", [...GNU_EXTRACT_FLAGS, "-xf", path, "-C", a], { stdio: "inherit" });
        if (r.status !== 0) throw new Error(`tar failed on ${path}`);
        gnu.push((performance.now() - t) / 1000);
        rmSync(a, { recursive: true, force: true });
        const b = fresh("tarboot");
        t = performance.now();
        await extract(createReadStream(path, { highWaterMark: 1 << 20 }), b, { label: `bench ${fmt}` });
        ours.push((performance.now() - t) / 1000);
        rmSync(b, { recursive: true, force: true });
      }
      let toolDec = "";
      let ourDec = "";
      if (fmt !== "tar") {
        let t = performance.now();
        execFileSync("bash", ["-c", `${TOOL[fmt].join(" ")} -- "$1" > /dev/null`, "sh", path]);
        toolDec = ((performance.now() - t) / 1000).toFixed(2);
        t = performance.now();
        await pipeline(createReadStream(path, { highWaterMark: 1 << 20 }), createDecoder(KIND[fmt]), new Writable({ write: (_c, _e, cb) => cb() }));
        ourDec = ((performance.now() - t) / 1000).toFixed(2);
      }
      const g = median(gnu);
      const o = median(ours);
      console.log(
        `${fmt.padEnd(6)}  ${size.toFixed(1).padStart(8)}  ${g.toFixed(2).padStart(10)}  ${o.toFixed(2).padStart(10)}  ${(o / g).toFixed(2).padStart(5)}   ${toolDec.padStart(15)}  ${ourDec.padStart(7)}`,
      );
    }
  } finally {
    execFileSync("umount", ["-l", mnt]);
    rmSync(mnt, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
