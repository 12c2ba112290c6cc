// A real Debian kernel and its module tree for tests and QEMU boots, fetched once with apt and
// kept under a cache directory: `apt-get download` the meta package (linux-image-amd64), follow its
// Depends to the versioned image package, `dpkg -x` that, and run depmod (the .deb ships no
// modules.dep; the postinst would make it).
//
// Safe for concurrent callers (test files run in parallel): a lock file makes the others wait
// instead of fetching the same 70 MB again, and the tree is published with one rename, so a
// reader never sees half a tree even if a holder died mid-way.
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, open, readFile, readdir, rename, rm, stat, writeFile } from "node:fs/promises";
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

/** `apt-get download PKG` into `cwd` (updating the package lists once if PKG is unknown); returns the .deb. */
export async function aptDownload(pkg: string, cwd: string): Promise<string> {
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

/** A lock whose holder is gone (its pid no longer runs, or it never wrote one within a minute). */
async function staleLock(lockPath: string): Promise<boolean> {
  let text: string;
  let age: number;
  try {
    text = await readFile(lockPath, "utf8");
    age = Date.now() - (await stat(lockPath)).mtimeMs;
  } catch {
    return false; // released meanwhile: just try again
  }
  const pid = Number(text.trim());
  if (!Number.isInteger(pid) || pid <= 0) return age > 60_000;
  try {
    process.kill(pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "ESRCH";
  }
}

/** Runs `fn` holding `lockPath` (created exclusively, holding our pid); waits for a live holder, takes over a dead one's. */
export async function withLock<T>(lockPath: string, fn: () => Promise<T>): Promise<T> {
  for (;;) {
    try {
      const fh = await open(lockPath, "wx");
      await fh.writeFile(String(process.pid));
      await fh.close();
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      if (await staleLock(lockPath)) await rm(lockPath, { force: true });
      else await new Promise((r) => setTimeout(r, 500));
    }
  }
  try {
    return await fn();
  } finally {
    await rm(lockPath, { force: true });
  }
}

/** Downloads, unpacks and depmods the kernel once; later calls only read the cache. */
export async function ensureDebianKernel(cacheDir: string, opts: DebianKernelOptions = {}): Promise<DebianKernel> {
  const pkg = opts.package ?? "linux-image-amd64";
  const pointerFile = join(cacheDir, `${pkg}.json`);
  const hit = await cached(cacheDir, pointerFile);
  if (hit) return hit;
  await mkdir(cacheDir, { recursive: true });
  return withLock(join(cacheDir, `${pkg}.lock`), async () => (await cached(cacheDir, pointerFile)) ?? fetchKernel(cacheDir, pkg, pointerFile));
}

async function fetchKernel(cacheDir: string, pkg: string, pointerFile: string): Promise<DebianKernel> {
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
