// Makes build/out/init: the init bundle injected as a SEA blob into a stripped copy of the
// official Node 24 binary (the mechanism pkg's --sea mode uses), its ICU data cut to English and
// the freed bytes cut out of the file (icu-data.mjs, elf-gap.mjs).
import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { NATIVE_ASSETS, ROOT, bundleInit } from "./bundle.mjs";
import { cutZeroRange } from "./elf-gap.mjs";
import { trimEmbeddedIcu } from "./icu-data.mjs";
import { ensureNode24 } from "./node24.mjs";

export const OUT = join(ROOT, "build/out");
const SENTINEL = "NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2";

export async function buildInitExecutable() {
  const node = ensureNode24();
  // Per process: a demo, a test run and the bench may build at once; only the final rename is shared.
  const work = join(OUT, `sea-${process.pid}`);
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  const bundle = join(work, "init.cjs");
  await bundleInit(bundle);
  const blob = join(work, "init.blob");
  writeFileSync(
    join(work, "sea-config.json"),
    JSON.stringify({
      main: bundle,
      output: blob,
      disableExperimentalSEAWarning: true,
      // Code cache trades ~1 MB for not compiling the bundle at every boot.
      useCodeCache: true,
      assets: NATIVE_ASSETS,
    }),
  );
  execFileSync(node, ["--experimental-sea-config", join(work, "sea-config.json")], { stdio: ["ignore", "ignore", "inherit"] });
  const exe = join(OUT, "init");
  writeSeaExecutable(node, blob, exe);
  rmSync(work, { recursive: true, force: true });
  return exe;
}

/**
 * Writes `out`: the official `node` binary with its ICU data cut to English, stripped, `blob`
 * injected as its SEA, and the zeroed rest of the ICU data cut out of the file.
 */
export function writeSeaExecutable(node, blob, out) {
  const tmp = `${out}.${process.pid}.tmp`;
  // Before strip: the ICU data is found by its symbol.
  const exeBytes = readFileSync(node);
  const { zeros } = trimEmbeddedIcu(exeBytes);
  writeFileSync(tmp, exeBytes);
  chmodSync(tmp, 0o755);
  // Strip before injecting: the blob lives in its own note section, which strip would drop.
  execFileSync("strip", ["--strip-all", tmp]);
  // postject warns about every note section of the stripped binary: keep its output for failures only.
  const inject = spawnSync(process.execPath, [join(ROOT, "node_modules/postject/dist/cli.js"), tmp, "NODE_SEA_BLOB", blob, "--sentinel-fuse", SENTINEL], {
    encoding: "utf8",
  });
  if (inject.status !== 0) throw new Error(`postject failed:\n${inject.stdout}${inject.stderr}`);
  // Last: postject rewrites the program headers, and leaves room after them for one more.
  writeFileSync(tmp, cutZeroRange(readFileSync(tmp), zeros.start, zeros.end).elf);
  renameSync(tmp, out);
}

if (typeof import.meta.url === "string" && import.meta.url === `file://${process.argv[1]}`) {
  buildInitExecutable().then((exe) => process.stdout.write(`${exe}\n`));
}
