export function loadNativeSelfTest(): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const koffi = require("koffi");
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const lzma = require("lzma-native");
  return `koffi ${koffi.version} lzma ${lzma.versionString()}`;
}
