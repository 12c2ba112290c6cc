// The host unpack inputs: the cached debootstrap minbase root as .tar.gz, .tar.xz (one block, as
// plain `xz` writes it), a multi-block .tar.xz (as `xz -T0` writes it) and .tar.zst.
import { existsSync, mkdirSync, renameSync, statSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "../paths.mjs";
import { ensureDebianRootCompressed, ensureDebianRootTarball } from "../../src/testing/debian-root";
import type { UnpackFormat } from "./options";
import { mustRun } from "./proc";

export const BENCH_CACHE = join(ROOT, "build/cache/bench");

export interface UnpackInput {
  format: UnpackFormat;
  path: string;
  bytes: number;
  /** How the file was made, for the report. */
  made: string;
  /** xz blocks (a multi-block file can be decoded in parallel). */
  xzBlocks?: number;
}

/** xz's own count of the blocks in a file (`xz --list --robot`: the "totals" line, field 4). */
export async function xzBlocks(path: string): Promise<number> {
  const r = await mustRun("xz", ["--list", "--robot", path], 60_000, `xz --list ${path}`);
  const totals = r.stdout.split("\n").find((l) => l.startsWith("totals\t"));
  const n = Number(totals?.split("\t")[2]);
  if (!Number.isInteger(n)) throw new Error(`xz --list ${path}: no block count in ${JSON.stringify(totals)}`);
  return n;
}

async function singleBlockXz(): Promise<string> {
  const out = join(BENCH_CACHE, "root-1block.tar.xz");
  if (existsSync(out)) return out;
  mkdirSync(BENCH_CACHE, { recursive: true });
  const tar = await ensureDebianRootTarball();
  const tmp = `${out}.${process.pid}.tmp`;
  process.stderr.write(`bench: compressing the Debian root with single-threaded xz -6 (once, a few minutes)\n`);
  await mustRun("bash", ["-c", 'xz -T1 -6 -c -- "$1" > "$2"', "bash", tar, tmp], 1_800_000, "xz -T1 -6");
  renameSync(tmp, out);
  return out;
}

export async function unpackInputs(formats: readonly UnpackFormat[]): Promise<UnpackInput[]> {
  const out: UnpackInput[] = [];
  for (const format of formats) {
    let path: string;
    let made: string;
    if (format === "gz") [path, made] = [await ensureDebianRootCompressed("gzip"), "gzip -6"];
    else if (format === "zst") [path, made] = [await ensureDebianRootCompressed("zstd"), "zstd -10 -T2"];
    // -T2 on this 2-core machine is what -T0 does; the block size (3 × the 8 MiB dictionary) does
    // not depend on the thread count, so the file is the one -T0 makes anywhere.
    else if (format === "xz-mt") [path, made] = [await ensureDebianRootCompressed("xz"), "xz -6 -T2 (multi-block)"];
    else [path, made] = [await singleBlockXz(), "xz -6 -T1 (one block)"];
    const input: UnpackInput = { format, path, bytes: statSync(path).size, made };
    if (format === "xz" || format === "xz-mt") input.xzBlocks = await xzBlocks(path);
    out.push(input);
  }
  return out;
}
