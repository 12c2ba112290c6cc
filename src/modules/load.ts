// Loading one module file into the kernel. finit_module lets the kernel read (and, if it was
// built with CONFIG_MODULE_DECOMPRESS, decompress) the file itself; older or differently built
// kernels get the image decompressed here and passed to init_module.
import { closeSync, openSync, readFileSync } from "node:fs";
import { SysError } from "../sys/libc";
import { finitModule, initModule, MODULE_INIT_COMPRESSED_FILE } from "../sys/module";
import { decodeBuffer } from "../unpack/decompress";
import { decodeFrameSync } from "../sys/zstd";
import { debug } from "../console/log";
import { moduleFileCompression } from "./deps";

export type LoadResult = "loaded" | "already-loaded";

type Kind = NonNullable<ReturnType<typeof moduleFileCompression>>;

/** Formats the running kernel was found unable to decompress: not offered to it again. */
const kernelCannot = new Set<Kind>();

export async function loadModuleFile(file: string, name: string, params = ""): Promise<LoadResult> {
  const kind = moduleFileCompression(file);
  if (!kind || !kernelCannot.has(kind)) {
    const fd = openSync(file, "r");
    try {
      finitModule(fd, name, kind ? MODULE_INIT_COMPRESSED_FILE : 0, params);
      return "loaded";
    } catch (err) {
      if (err instanceof SysError && err.code === "EEXIST") return "already-loaded";
      // EINVAL: the flag is unknown (before Linux 5.17); EOPNOTSUPP: no decompressor for this format.
      if (!(kind && err instanceof SysError && (err.code === "EINVAL" || err.code === "EOPNOTSUPP"))) throw err;
      debug(`${name}: the kernel cannot decompress ${kind} modules (${err.code}); tarboot decompresses them`);
      kernelCannot.add(kind);
    } finally {
      closeSync(fd);
    }
  }
  try {
    const packed = readFileSync(file);
    initModule((kind === "zstd" ? decodeFrameSync(packed) : null) ?? (await decodeBuffer(kind, packed)), name, params);
    return "loaded";
  } catch (err) {
    if (err instanceof SysError && err.code === "EEXIST") return "already-loaded";
    throw err;
  }
}
