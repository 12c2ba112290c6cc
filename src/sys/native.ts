// The native addon (koffi) travels inside the single executable as a SEA asset. A shared
// object can only be dlopen'ed from a file, so each is written out once and loaded with
// process.dlopen. As PID 1 there is no /tmp yet: the initramfs root itself is writable RAM.
import { existsSync, mkdirSync, renameSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

// node:sea only exists inside a SEA, and only from Node 20; the bundle is built for one.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const sea = require("node:sea") as { isSea(): boolean; getRawAsset(key: string): ArrayBuffer };

function nativeDir(): string {
  if (process.env.TARBOOT_NATIVE_DIR) return process.env.TARBOOT_NATIVE_DIR;
  if (process.pid === 1) return "/lib/tarboot";
  return join(tmpdir(), `tarboot-native-${process.getuid?.() ?? 0}`);
}

/** The asset's content hash, computed when the executable was built (build/bundle.mjs). */
function contentId(name: string): string {
  const id = (JSON.parse(process.env.TARBOOT_NATIVE_IDS ?? "{}") as Record<string, string>)[name];
  if (!id) throw new Error(`native addon ${name}: the executable carries no content id for it`);
  return id;
}

export function loadNativeAsset(name: string): unknown {
  if (!sea.isSea()) throw new Error(`native addon ${name}: only available inside the tarboot executable`);
  const dir = nativeDir();
  // A shared directory on a host may hold another version's file: name it by content. As PID 1 the
  // initramfs is new every boot.
  const file = process.pid === 1 ? join(dir, name) : join(dir, `${contentId(name)}-${name}`);
  if (!existsSync(file)) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const tmp = `${file}.${process.pid}.tmp`;
    // The executable's own mapped bytes, not getAsset()'s copy (1.4 ms a start for a file that
    // is usually there already on a host); only read, to write the file.
    writeFileSync(tmp, new Uint8Array(sea.getRawAsset(name)), { mode: 0o500 });
    renameSync(tmp, file);
  }
  const mod = { exports: {} as unknown };
  process.dlopen(mod, file);
  return mod.exports;
}
