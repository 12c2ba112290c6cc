// esbuild bundles of tarboot: the PID-1 init (everything inside, native addons redirected to SEA
// assets) and the host CLI (dependencies left in node_modules).
import { build } from "esbuild";
import { join } from "node:path";
import { ROOT } from "./paths.mjs";

export { ROOT };

/** Native addons the init embeds: SEA asset name -> file on the build host. */
export const NATIVE_ASSETS = {
  "koffi.node": join(ROOT, "node_modules/koffi/build/koffi/linux_x64/koffi.node"),
};

const loader = join(ROOT, "src/sys/native.ts");

// koffi requires its addon through literal paths per platform; that becomes a read of a SEA asset.
const nativeAssets = {
  name: "native-assets",
  setup(b) {
    b.onResolve({ filter: /\.node$/ }, (args) => {
      const full = join(args.resolveDir, args.path);
      if (full === NATIVE_ASSETS["koffi.node"]) return { path: "koffi.node", namespace: "sea-native" };
      return { path: full, namespace: "sea-missing" };
    });
    b.onLoad({ filter: /.*/, namespace: "sea-native" }, (args) => ({
      contents: `const { loadNativeAsset } = require(${JSON.stringify(loader)}); module.exports = loadNativeAsset(${JSON.stringify(args.path)});`,
      resolveDir: ROOT,
      loader: "js",
    }));
    b.onLoad({ filter: /.*/, namespace: "sea-missing" }, (args) => ({
      contents: `throw new Error(${JSON.stringify(`native addon not embedded for this platform: ${args.path}`)});`,
      loader: "js",
    }));
  },
};

export async function bundleInit(outfile) {
  await build({
    entryPoints: [join(ROOT, "src/boot/main.ts")],
    outfile,
    bundle: true,
    platform: "node",
    target: "node24",
    format: "cjs",
    // koffi's ESM entry needs createRequire, which a CJS bundle lacks: take its CJS entry.
    mainFields: ["main", "module"],
    alias: { koffi: join(ROOT, "node_modules/koffi/index.js") },
    plugins: [nativeAssets],
    minifyWhitespace: true,
    minifySyntax: true,
    legalComments: "none",
    logLevel: "warning",
    define: { "process.env.TARBOOT_BUNDLED": '"1"' },
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
