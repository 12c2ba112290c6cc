// Debian packages the tests run a program from without installing them (installing would start
// their daemons on this machine): `apt-get download` and `dpkg-deb -x` under build/cache/PKG/,
// once, safe when several test processes race. Their libraries come from build/apt-packages.txt.
import { execFile } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { ROOT } from "../../build/paths.mjs";
import { aptDownload } from "../initramfs/debian-kernel";

const run = promisify(execFile);

/** The unpacked tree of `pkg`; `probe` (a path inside it) tells whether it is already there. */
export async function unpackedPackage(pkg: string, probe: string): Promise<string> {
  const tree = join(ROOT, "build", "cache", pkg);
  if (existsSync(join(tree, probe))) return tree;
  mkdirSync(join(ROOT, "build", "cache"), { recursive: true });
  // Beside the cache, so that the rename below stays on one filesystem.
  const work = mkdtempSync(`${tree}-tmp-`);
  try {
    const deb = await aptDownload(pkg, work);
    await run("dpkg-deb", ["-x", deb, join(work, "tree")]);
    try {
      renameSync(join(work, "tree"), tree);
    } catch (err) {
      // Another process got there first.
      if (!existsSync(join(tree, probe))) throw err;
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return tree;
}
