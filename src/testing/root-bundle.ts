// Bundles a test driver with esbuild so it runs under plain Node 24 in a child process. The
// bundle goes under build/cache/ so that the external koffi resolves from the repo's node_modules.
import { build } from "esbuild";
import { mkdirSync } from "node:fs";
import { basename, join } from "node:path";
import { fileURLToPath } from "node:url";

export const REPO = fileURLToPath(new URL("../..", import.meta.url)).replace(/\/$/, "");

export async function bundleDriver(entry: string): Promise<string> {
  const dir = join(REPO, "build/cache/root-tests");
  mkdirSync(dir, { recursive: true });
  const outfile = join(dir, basename(entry).replace(/\.ts$/, ".cjs"));
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: "node",
    target: "node24",
    format: "cjs",
    external: ["koffi"],
    logLevel: "warning",
  });
  return outfile;
}
