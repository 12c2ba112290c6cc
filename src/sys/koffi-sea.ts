// What the tarboot executable bundles in place of koffi's index.js (build/bundle.mjs aliases it).
// That entry point also evaluates koffi's installer (cnoke, which loads node:crypto, node:https and
// node:zlib) only to find the addon's file: 0.5 s of every boot under emulation. Here the addon comes
// from the SEA asset; what remains of koffi's own start-up is the version check.
import { loadNativeAsset } from "./native";

interface KoffiAddon {
  version: string;
}

const addon = loadNativeAsset("koffi.node") as KoffiAddon;
const expected = process.env.TARBOOT_KOFFI_VERSION;
if (addon.version !== expected) throw new Error(`koffi.node is version ${addon.version}, the bundle was built for koffi ${expected}`);

export default addon;
