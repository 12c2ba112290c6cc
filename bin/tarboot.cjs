#!/usr/bin/env node
// `npx tarboot ...` from the repo: bundles the TypeScript CLI and runs it under the pinned Node 24,
// whatever Node started this file (a fresh Debian machine has Node 20).
"use strict";
const { spawnSync } = require("node:child_process");
const { join } = require("node:path");
const root = join(__dirname, "..");

(async () => {
  const { ensureNode24 } = await import(join(root, "build/node24.mjs"));
  const { bundleCli } = await import(join(root, "build/bundle.mjs"));
  const out = join(root, "build/cache/tarboot-cli.cjs");
  await bundleCli(out);
  const r = spawnSync(ensureNode24(), [out, ...process.argv.slice(2)], { stdio: "inherit" });
  process.exit(r.status ?? 1);
})().catch((e) => {
  process.stderr.write(`tarboot: ${e.message}\n`);
  process.exit(1);
});
