// esbuild bundles of tarboot: the PID-1 init (everything inside, native addons redirected to SEA
// assets) and the host CLI (dependencies left in node_modules).
import { build } from "esbuild";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "./paths.mjs";

export { ROOT };

/** Native addons the init embeds: SEA asset name -> file on the build host. */
export const NATIVE_ASSETS = {
  "koffi.node": join(ROOT, "node_modules/koffi/build/koffi/linux_x64/koffi.node"),
};

const KOFFI_VERSION = JSON.parse(readFileSync(join(ROOT, "node_modules/koffi/package.json"), "utf8")).version;

/**
 * Asset name -> a prefix of its SHA-256, known at build time: the host CLI names the file it
 * writes each addon to by content without loading node:crypto and hashing at every start (20 ms).
 */
function nativeAssetIds() {
  const ids = {};
  for (const [name, file] of Object.entries(NATIVE_ASSETS)) ids[name] = createHash("sha256").update(readFileSync(file)).digest("hex").slice(0, 16);
  return ids;
}

export async function bundleInit(outfile) {
  await build({
    entryPoints: [join(ROOT, "src/boot/main.ts")],
    outfile,
    bundle: true,
    platform: "node",
    target: "node24",
    format: "cjs",
    // koffi's own entry would also evaluate its installer; ours loads the addon from the SEA asset.
    alias: { koffi: join(ROOT, "src/sys/koffi-sea.ts") },
    minifyWhitespace: true,
    minifySyntax: true,
    legalComments: "none",
    logLevel: "warning",
    define: {
      "process.env.TARBOOT_BUNDLED": '"1"',
      "process.env.TARBOOT_KOFFI_VERSION": JSON.stringify(KOFFI_VERSION),
      "process.env.TARBOOT_NATIVE_IDS": JSON.stringify(JSON.stringify(nativeAssetIds())),
    },
  });
}

export async function bundleHost(entry, outfile) {
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: "node",
    target: "node24",
    format: "cjs",
    packages: "external",
    logLevel: "warning",
    // build/paths.mjs finds the repository without import.meta when bundled.
    logOverride: { "empty-import-meta": "silent" },
  });
}
