// Runs a TypeScript entry of this repo under the pinned Node 24: bundled by esbuild (dependencies
// stay in node_modules), so build scripts, the demo and the host CLI share the src/ modules.
import { spawnSync } from "node:child_process";
import { basename, join, resolve } from "node:path";
import { ROOT, bundleHost } from "./bundle.mjs";
import { ensureNode24 } from "./node24.mjs";

export async function runTs(entry, args) {
  const out = join(ROOT, "build/cache/run", basename(entry).replace(/\.ts$/, ".cjs"));
  await bundleHost(resolve(entry), out);
  const r = spawnSync(ensureNode24(), [out, ...args], { stdio: "inherit" });
  return r.status ?? 1;
}

if (typeof import.meta.url === "string" && process.argv[1] && resolve(process.argv[1]) === resolve(new URL(import.meta.url).pathname)) {
  const [entry, ...args] = process.argv.slice(2);
  process.exit(await runTs(entry, args));
}
