// The roots both contenders boot, as .tar.zst, cached under build/cache/bench/ (the names carry a
// hash of the marker init, so a changed init makes new tarballs):
//   tiny    busybox and the marker init (~1 MB): what start-up costs
//   50M     tiny + 50 × 1 MiB of incompressible filler
//   200M    tiny + 200 × 1 MiB of incompressible filler: where streaming must pay off
//   debian  the debootstrap minbase root (~240 MB, ~8k entries) + the marker init
import { createCipheriv, createHash } from "node:crypto";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { makeRootTarball } from "../../qemu-tests/lib/testroot";
import { ensureDebianRootTarball } from "../../src/testing/debian-root";
import { BENCH_CACHE } from "./inputs";
import { INIT_PATH, MARKER_INIT } from "./marker";
import type { BootRootName } from "./options";
import { mustRun } from "./proc";

export interface BootRoot {
  name: BootRootName;
  path: string;
  /** Compressed size (what is downloaded). */
  bytes: number;
  description: string;
}

const TAR_OPTS = ["--numeric-owner", "--owner=0", "--group=0", "--sort=name", "--mtime=@1700000000"];
const FILLER_MIB: Partial<Record<BootRootName, number>> = { "50M": 50, "200M": 200 };

const markerHash = createHash("sha256").update(MARKER_INIT).digest("hex").slice(0, 8);
const marker = { content: MARKER_INIT, mode: 0o755 };

/** Deterministic incompressible bytes: the AES-128-CTR key stream of a fixed key, file by file. */
export function fillerBytes(index: number, size: number): Buffer {
  const iv = Buffer.alloc(16);
  iv.writeUInt32BE(index, 0);
  const cipher = createCipheriv("aes-128-ctr", Buffer.from("tarboot-bench-00"), iv);
  return Buffer.concat([cipher.update(Buffer.alloc(size)), cipher.final()]);
}

async function publish(out: string, make: (tmp: string, work: string) => Promise<void>): Promise<void> {
  mkdirSync(BENCH_CACHE, { recursive: true });
  const work = mkdtempSync(join(tmpdir(), "tarboot-bench-root-"));
  const tmp = `${out}.${process.pid}.tmp`;
  try {
    await make(tmp, work);
    renameSync(tmp, out);
  } finally {
    rmSync(tmp, { force: true });
    rmSync(work, { recursive: true, force: true });
  }
}

async function makeRoot(name: BootRootName): Promise<string> {
  const out = join(BENCH_CACHE, `root-${name}-${markerHash}.tar.zst`);
  if (existsSync(out)) return out;
  process.stderr.write(`bench: making the ${name} root (once)\n`);
  const files = { [INIT_PATH.slice(1)]: marker };
  if (name === "tiny") {
    await publish(out, async (tmp) => void makeRootTarball(tmp, { busybox: true, files }, "zstd"));
  } else if (name === "debian") {
    // GNU tar appends the marker init to a copy of the cached root; the root stays as debootstrap made it.
    const tar = await ensureDebianRootTarball();
    await publish(out, async (tmp, work) => {
      const copy = join(work, "root.tar");
      copyFileSync(tar, copy);
      const extra = join(work, "extra");
      mkdirSync(join(extra, "bench"), { recursive: true });
      writeFileSync(join(extra, "bench/init"), MARKER_INIT, { mode: 0o755 });
      await mustRun("tar", [...TAR_OPTS, "-C", extra, "-rf", copy, "./bench"], 300_000, "append the marker init to the Debian root");
      await mustRun("zstd", ["-q", "-T2", "-10", "-o", tmp, copy], 900_000, "zstd the Debian root");
    });
  } else {
    const mib = FILLER_MIB[name]!;
    await publish(out, async (tmp, work) => {
      const base = join(work, "root.tar");
      makeRootTarball(base, { busybox: true, files }, "none");
      const extra = join(work, "extra");
      mkdirSync(join(extra, "filler"), { recursive: true });
      for (let i = 0; i < mib; i++) writeFileSync(join(extra, "filler", `${String(i).padStart(3, "0")}.bin`), fillerBytes(i, 1 << 20));
      await mustRun("tar", [...TAR_OPTS, "-C", extra, "-rf", base, "./filler"], 300_000, `append ${mib} MiB of filler`);
      await mustRun("zstd", ["-q", "-T2", "-o", tmp, base], 300_000, `zstd the ${name} root`);
    });
  }
  return out;
}

const DESCRIPTION: Record<BootRootName, string> = {
  tiny: "busybox + marker init",
  "50M": "tiny + 50 × 1 MiB random",
  "200M": "tiny + 200 × 1 MiB random",
  debian: "debootstrap minbase (bookworm)",
};

export async function bootRoots(names: readonly BootRootName[]): Promise<BootRoot[]> {
  const out: BootRoot[] = [];
  for (const name of names) {
    const path = await makeRoot(name);
    out.push({ name, path, bytes: statSync(path).size, description: DESCRIPTION[name] });
  }
  return out;
}
