// Test drivers that must run in a child process (another network namespace, a chroot, a mount
// namespace) are bundled like every other host entry point (build/bundle.mjs) and run under the
// pinned Node 24. Bundles go under build/cache/, where the repo's node_modules resolves koffi.
import { mkdirSync, rmSync } from "node:fs";
import { basename, join } from "node:path";
import { bundleHost } from "../../build/bundle.mjs";
import { ensureNode24 } from "../../build/node24.mjs";
import { ROOT } from "../../build/paths.mjs";

export { ROOT as REPO };

const OUT_DIR = join(ROOT, "build", "cache", "test-bundles");
const bundles = new Map<string, Promise<string>>();

/** Bundles `entry` once per test process (per-process file names: parallel runs never share one). */
export function bundleDriver(entry: string): Promise<string> {
  let b = bundles.get(entry);
  if (!b) {
    b = (async () => {
      mkdirSync(OUT_DIR, { recursive: true });
      const outfile = join(OUT_DIR, `${basename(entry).replace(/\.ts$/, "")}-${process.pid}.cjs`);
      await bundleHost(entry, outfile);
      return outfile;
    })();
    bundles.set(entry, b);
  }
  return b;
}

/** Deletes this process's bundles (call from afterAll: test workers do not always see "exit"). */
export async function removeBundles(): Promise<void> {
  for (const [entry, b] of [...bundles]) {
    bundles.delete(entry);
    rmSync(await b, { force: true });
  }
}

export function node24(): string {
  return ensureNode24();
}
