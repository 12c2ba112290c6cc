// lzma-native is a native addon: loading it costs ~30 ms on a fast host and far more under
// emulation, and only xz layers need it. It is loaded when the first xz layer arrives.
import type lzmaNative from "lzma-native";

type Lzma = typeof lzmaNative;
let loaded: Lzma | undefined;

export async function loadLzma(): Promise<Lzma> {
  loaded ??= (await import("lzma-native")).default;
  return loaded;
}

export function lzma(): Lzma {
  if (!loaded) throw new Error("lzma-native used before loadLzma()");
  return loaded;
}
