// node:crypto is loaded when a digest is first needed, not with the fetch code: most boots verify
// nothing, and it brings ~40 internal modules (10 ms natively, several hundred under emulation).
import type { Hash } from "node:crypto";

export function nodeCrypto(): typeof import("node:crypto") {
  return process.getBuiltinModule("node:crypto");
}

export function sha256(): Hash {
  return nodeCrypto().createHash("sha256");
}
