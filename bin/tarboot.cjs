#!/usr/bin/env node
// `npx tarboot ...` from the repo: the TypeScript CLI run under the pinned Node 24, whatever Node
// started this file (a fresh Debian machine has Node 20).
"use strict";
const { join } = require("node:path");

import(join(__dirname, "../build/run-ts.mjs"))
  .then((m) => m.runTs(join(__dirname, "../src/cli/main.ts"), process.argv.slice(2)))
  .then((code) => process.exit(code))
  .catch((e) => {
    process.stderr.write(`tarboot: ${e.message}\n`);
    process.exit(1);
  });
