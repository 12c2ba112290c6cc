// A real Debian kernel and its module tree for tests and QEMU boots, fetched once with apt and
// kept under a cache directory: `apt-get download` the meta package (linux-image-amd64), follow its
// Depends to the versioned image package, `dpkg -x` that, and run depmod (the .deb ships no
// modules.dep; the postinst would make it).
//
// Safe for concurrent callers: each works in its own temporary directory and publishes the tree
// with one rename; whoever loses the race uses the winner's tree.
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, readdir, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

export interface DebianKernel {
  /** Kernel release, as `uname -r` will say, e.g. 6.1.0-56-amd64. */
  version: string;
  vmlinuz: string;
  /** The module tree, e.g. CACHE/6.1.0-56-amd64/lib/modules/6.1.0-56-amd64, with modules.dep. */
  modulesDir: string;
}

export interface DebianKernelOptions {
  /** Meta or image package, default linux-image-amd64. */
  package?: string;
}

/** The versioned image package a meta package depends on, from its Depends field. */
export function imagePackageFromDepends(depends: string): string | undefined {
  for (const clause of depends.split(",")) {
    for (const alt of clause.split("|")) {
      const name = alt.trim().split(/[\s(]/)[0];
      if (/^linux-image-\d/.test(name)) return name;
    }
  }
  return undefined;
}

interface Pointer {
  version: string;
  package: string;
}

function layout(cacheDir: string, version: string, modulesBase: string): DebianKernel {
  const root = join(cacheDir, version);
  return { version, vmlinuz: join(root, "boot", `vmlinuz-${version}`), modulesDir: join(root, modulesBase, "lib/modules", version) };
}

function complete(k: DebianKernel): boolean {
  return existsSync(k.vmlinuz) && existsSync(join(k.modulesDir, "modules.dep"));
}

async function cached(cacheDir: string, pointerFile: string): Promise<DebianKernel | undefined> {
  let pointer: Pointer;
  try {
    pointer = JSON.parse(await readFile(pointerFile, "utf8")) as Pointer;
  } catch {
    return undefined;
  }
  for (const base of ["", "usr"]) {
    const k = layout(cacheDir, pointer.version, base);
    if (complete(k)) return k;
  }
  return undefined;
}

async function aptDownload(pkg: string, cwd: string): Promise<string> {
  // As root apt drops to _apt, which cannot write a private temp dir; that only costs a warning.
  const sandbox = process.getuid?.() === 0 ? ["-o", "APT::Sandbox::User=root"] : [];
  const attempt = () => run("apt-get", [...sandbox, "download", pkg], { cwd, maxBuffer: 16 << 20 });
  try {
    await attempt();
  } catch {
    // A fresh machine has no package lists yet.
    await run("apt-get", ["update"], { maxBuffer: 16 << 20 }).catch((err: unknown) => {
      throw new Error(`apt-get update failed while looking for ${pkg}`, { cause: err });
    });
    await attempt().catch((err: unknown) => {
      throw new Error(`apt-get download ${pkg} failed`, { cause: err });
    });
  }
  const debs = (await readdir(cwd)).filter((n) => n.startsWith(`${pkg}_`) && n.endsWith(".deb"));
  if (debs.length !== 1) throw new Error(`apt-get download ${pkg}: expected one .deb in ${cwd}, found ${debs.length}`);
  return join(cwd, debs[0]);
}

async function debField(deb: string, field: string): Promise<string> {
  const { stdout } = await run("dpkg-deb", ["-f", deb, field]);
  return stdout.trim();
}

/** Downloads, unpacks and depmods the kernel once; later calls only read the cache. */
export async function ensureDebianKernel(cacheDir: string, opts: DebianKernelOptions = {}): Promise<DebianKernel> {
  const pkg = opts.package ?? "linux-image-amd64";
  const pointerFile = join(cacheDir, `${pkg}.json`);
  const hit = await cached(cacheDir, pointerFile);
  if (hit) return hit;

  await mkdir(cacheDir, { recursive: true });
  const work = await mkdtemp(join(cacheDir, ".work-"));
  try {
    const meta = await aptDownload(pkg, work);
    const image = imagePackageFromDepends(await debField(meta, "Depends")) ?? pkg;
    const deb = image === pkg ? meta : await aptDownload(image, work);
    const root = join(work, "root");
    await run("dpkg", ["-x", deb, root]);

    let base = "";
    let versions = await readdir(join(root, "lib/modules")).catch(() => [] as string[]);
    if (versions.length === 0) {
      base = "usr";
      versions = await readdir(join(root, "usr/lib/modules")).catch(() => [] as string[]);
    }
    if (versions.length !== 1) throw new Error(`${image}: expected one kernel under lib/modules, found ${versions.length}`);
    const version = versions[0];
    await run("depmod", ["-b", join(root, base), version]);

    const target = join(cacheDir, version);
    try {
      await rename(root, target);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== "ENOTEMPTY" && code !== "EEXIST") throw err;
      // Someone else published this version first; theirs is as good as ours.
    }
    const k = layout(cacheDir, version, base);
    if (!complete(k)) throw new Error(`${target}: kernel tree incomplete (no ${k.vmlinuz} or modules.dep); remove it and retry`);
    const tmpPointer = join(work, "pointer.json");
    await writeFile(tmpPointer, `${JSON.stringify({ version, package: image } satisfies Pointer)}\n`);
    await rename(tmpPointer, pointerFile);
    return k;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
