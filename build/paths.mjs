// Where the repository is, for scripts run directly (ESM, import.meta.url) and for the same code
// bundled by esbuild into build/cache/run/*.cjs (where import.meta.url is gone).
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

function isRoot(dir) {
  return existsSync(join(dir, "build", "node24.mjs")) && existsSync(join(dir, "package.json"));
}

function findRoot(starts) {
  for (const start of starts) {
    if (!start) continue;
    for (let d = resolve(start); ; d = dirname(d)) {
      if (isRoot(d)) return d;
      if (d === dirname(d)) break;
    }
  }
  throw new Error("cannot find the tarboot repository (no build/node24.mjs above the running script or the working directory)");
}

const meta = typeof import.meta.url === "string" && import.meta.url.startsWith("file:") ? dirname(fileURLToPath(import.meta.url)) : undefined;

export const ROOT = findRoot([meta, process.argv[1] && dirname(process.argv[1]), process.cwd()]);
