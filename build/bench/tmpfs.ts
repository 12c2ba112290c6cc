// A fresh tmpfs for every unpack run, so no run inherits page cache, dentries or a half-full
// directory from the one before; unmounted (lazily if something still holds it) afterwards.
import { mkdtempSync, rmdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { defer } from "./cleanup";
import { mustRun, runTimed } from "./proc";

export async function withTmpfs<T>(sizeMiB: number, fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), "tarboot-bench-tmpfs-"));
  let mounted = false;
  const release = defer(`tmpfs ${dir}`, async () => {
    if (mounted) {
      const r = await runTimed("umount", [dir], { timeoutMs: 30_000 });
      if (r.code !== 0) await runTimed("umount", ["-l", dir], { timeoutMs: 30_000 });
    }
    rmdirSync(dir);
  });
  try {
    await mustRun("mount", ["-t", "tmpfs", "-o", `size=${sizeMiB}m,mode=0755`, "bench", dir], 30_000, `tmpfs on ${dir}`);
    mounted = true;
    return await fn(dir);
  } finally {
    await release();
  }
}
