// `tarboot mkinitramfs`: everything the init needs to boot a machine from the network, as one
// compressed newc archive, built without root and byte-for-byte reproducible from its inputs.
import { lstat, mkdir, readFile, readdir, readlink, stat } from "node:fs/promises";
import { release } from "node:os";
import { dirname, join, posix } from "node:path";
import { BUSYBOX_PATH, appletLinks, inspectBusybox } from "./busybox";
import { type Compression, checkLevel, compressModule, writeCompressed } from "./compress";
import { CA_PATH, CONF_PATH, defaultSettings, renderConf } from "./conf";
import { type CpioEntry, mtimeFromEnv, normalizeCpioPath, planArchive, writeCpio } from "./cpio";
import { findFirmware, modinfoFirmware } from "./firmware";
import { hostNetDrivers } from "./host-drivers";
import { readHostElf, resolveLibraries } from "./libs";
import { decodeBuffer } from "../unpack/decompress";
import { moduleFileCompression, moduleNameFromPath } from "../modules/deps";
import { DLOPENED_LIBRARIES } from "../sys/dlopened";
import { TRUSTED_KEYS_DIR, keyOption } from "../fetch/trusted-keys";
import { type ModuleCompression, installedModulePath, loadModuleTree, moduleIndexFiles, parseNetDrivers, selectModules } from "./modules";

export interface MkinitramfsOptions {
  /** The init executable, installed as /init. */
  init: string;
  /** Where to write the compressed image. */
  output: string;
  /** Kernel module tree to take NIC drivers from; default /lib/modules/$(uname -r); false for none. */
  kernelModules?: string | false;
  /** `--net-drivers`: module names, `default`, `all`, `host` (comma-separated); default `default`. */
  netDrivers?: string;
  /** Where `--net-drivers host` reads the machine's interfaces; default /sys (tests give a tree). */
  sysRoot?: string;
  /** `--module-compression`: how uncompressed .ko files are stored; default zstd. */
  moduleCompression?: ModuleCompression;
  /** `--firmware`: where the modules' firmware is taken from; default /lib/firmware; false for none. */
  firmware?: string | false;
  /** A static busybox for the rescue shell. */
  busybox?: string;
  /** A CA bundle (PEM) installed as /etc/ssl/certs/tarboot-ca.pem. */
  ca?: string;
  /** Ed25519 public keys (PEM) layer manifests must be signed with, installed in /etc/tarboot/keys. */
  keys?: readonly string[];
  /** `HOSTPATH:INITRAMFS_PATH` (a file or a directory tree). */
  add?: readonly string[];
  /** `KEY=VALUE` boot defaults for /etc/tarboot.conf. */
  set?: readonly string[];
  /** A directory with top/, premount/ and bottom/ hooks. */
  hooks?: string;
  /** ELF files the init loads at run time (its native addons): their libraries are included, they are not. */
  needs?: readonly string[];
  /** Default zstd. */
  compress?: Compression;
  /** mtime of every entry; default SOURCE_DATE_EPOCH or 0. */
  mtime?: number;
  /** Compression level (see compress.ts LEVELS); default the strongest the kernel copes with well. */
  level?: number;
  /** Compressor threads; the output does not depend on it. */
  threads?: number;
}

export interface InitramfsResult {
  path: string;
  compressedBytes: number;
  unpackedBytes: number;
  /** Every path in the archive, in archive order. */
  files: string[];
  /** Kernel release of the module tree used, if any. */
  kernelVersion?: string;
  /** Names of the modules included, in modules.dep order. */
  modules: string[];
  /** Requested drivers the kernel has built in. */
  builtinDrivers: string[];
  /** Firmware files included, initramfs paths. */
  firmware: string[];
  /** Module -> firmware it may ask for that the firmware directory does not have. */
  missingFirmware: Map<string, string[]>;
  /** Libraries (and interpreters) included, initramfs paths. */
  libraries: string[];
}

const BASE_DIRS: ReadonlyArray<[string, number]> = [
  ["/bin", 0o755], ["/dev", 0o755], ["/etc", 0o755], ["/lib", 0o755], ["/lib64", 0o755], ["/proc", 0o755],
  ["/root", 0o755], ["/run", 0o755], ["/sbin", 0o755], ["/sys", 0o755], ["/tmp", 0o1777], ["/usr", 0o755],
];
const HOOK_STAGES = ["top", "premount", "bottom"] as const;

/** The entries so far, each with the option it came from, so a clash names both. */
class EntrySet {
  private readonly byPath = new Map<string, { entry: CpioEntry; origin: string }>();

  add(entry: CpioEntry, origin: string): void {
    const path = normalizeCpioPath(entry.path);
    const had = this.byPath.get(path);
    if (had) {
      if (had.entry.type === "dir" && entry.type === "dir") return;
      throw new Error(`/${path} would come from both ${had.origin} and ${origin}`);
    }
    this.byPath.set(path, { entry: { ...entry, path }, origin });
  }

  has(path: string): boolean {
    return this.byPath.has(normalizeCpioPath(path));
  }

  entries(): CpioEntry[] {
    return [...this.byPath.values()].map((e) => e.entry);
  }
}

async function hostFile(source: string, path: string, mode: number, what: string): Promise<CpioEntry> {
  let st;
  try {
    st = await stat(source);
  } catch (err) {
    throw new Error(`${what} ${source}: ${(err as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (err as Error).message}`, { cause: err });
  }
  if (!st.isFile()) throw new Error(`${what} ${source}: not a regular file`);
  return { type: "file", path, mode, source, size: st.size };
}

/** `HOSTPATH:INITRAMFS_PATH`; the split is at the last ':' followed by '/', so host paths may hold ':'. */
export function parseAddSpec(spec: string): { host: string; target: string } {
  const at = spec.lastIndexOf(":/");
  if (at <= 0) throw new Error(`--add '${spec}': expected HOSTPATH:/PATH/IN/INITRAMFS`);
  const target = posix.normalize(spec.slice(at + 1));
  if (target === "/") throw new Error(`--add '${spec}': the initramfs path cannot be / itself`);
  return { host: spec.slice(0, at), target };
}

/** A host file, symlink or directory tree at `target`, with its own permission bits. */
async function addHostTree(set: EntrySet, host: string, target: string, origin: string): Promise<void> {
  let st;
  try {
    st = await lstat(host);
  } catch (err) {
    throw new Error(`${origin}: ${host}: ${(err as NodeJS.ErrnoException).code === "ENOENT" ? "no such file or directory" : (err as Error).message}`, { cause: err });
  }
  const mode = st.mode & 0o7777;
  if (st.isSymbolicLink()) set.add({ type: "symlink", path: target, target: await readlink(host) }, origin);
  else if (st.isFile()) set.add({ type: "file", path: target, mode, source: host, size: st.size }, origin);
  else if (st.isDirectory()) {
    set.add({ type: "dir", path: target, mode }, origin);
    for (const name of (await readdir(host)).sort()) await addHostTree(set, join(host, name), posix.join(target, name), origin);
  } else throw new Error(`${origin}: ${host} is not a file, directory or symlink`);
}

async function addHooks(set: EntrySet, dir: string): Promise<void> {
  const st = await stat(dir).catch(() => undefined);
  if (!st?.isDirectory()) throw new Error(`--hooks ${dir}: not a directory (expected ${dir}/top, ${dir}/premount, ${dir}/bottom)`);
  for (const stage of HOOK_STAGES) {
    const stageDir = join(dir, stage);
    let names: string[];
    try {
      names = (await readdir(stageDir)).sort();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") continue;
      throw new Error(`--hooks ${stageDir}: ${(err as Error).message}`, { cause: err });
    }
    set.add({ type: "dir", path: `/scripts/tarboot-${stage}`, mode: 0o755 }, `--hooks ${dir}`);
    for (const name of names) {
      set.add(await hostFile(join(stageDir, name), `/scripts/tarboot-${stage}/${name}`, 0o755, "--hooks"), `--hooks ${dir}`);
    }
  }
}

async function readCa(path: string): Promise<Buffer> {
  const data = await readFile(path).catch((err: unknown) => {
    throw new Error(`--ca ${path}: ${(err as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (err as Error).message}`, { cause: err });
  });
  if (!data.includes("-----BEGIN CERTIFICATE-----")) throw new Error(`--ca ${path}: no PEM certificate in it (expected -----BEGIN CERTIFICATE-----)`);
  return data;
}

/** The key under its id, as the init reads it; the id in the name tells keys apart in a listing. */
function trustedKeyEntry(path: string): CpioEntry {
  const { key, id } = keyOption(path);
  const pem = key.export({ format: "pem", type: "spki" });
  return { type: "file", path: `${TRUSTED_KEYS_DIR}/${id}.pub`, mode: 0o644, data: Buffer.from(pem) };
}

export const DEFAULT_FIRMWARE_DIR = "/lib/firmware";

function firmwareOf(ko: Buffer, path: string): string[] {
  try {
    return modinfoFirmware(ko);
  } catch (err) {
    throw new Error(`kernel module ${path}: ${(err as Error).message}`, { cause: err });
  }
}

/** A module file's ELF image: read, and decompressed when the tree stores it compressed. */
async function moduleImage(path: string): Promise<Buffer> {
  const data = await readFile(path);
  const kind = moduleFileCompression(path);
  try {
    return kind ? await decodeBuffer(kind, data) : data;
  } catch (err) {
    throw new Error(`kernel module ${path}: cannot decompress it (${(err as Error).message})`, { cause: err });
  }
}

export function defaultModulesDir(): string {
  return `/lib/modules/${release()}`;
}

export async function buildInitramfs(opts: MkinitramfsOptions): Promise<InitramfsResult> {
  checkLevel(opts.compress ?? "zstd", opts.level);
  const set = new EntrySet();
  for (const [path, mode] of BASE_DIRS) set.add({ type: "dir", path, mode }, "the base layout");
  set.add({ type: "chardev", path: "/dev/console", mode: 0o600, major: 5, minor: 1 }, "the base layout");
  set.add({ type: "chardev", path: "/dev/null", mode: 0o666, major: 1, minor: 3 }, "the base layout");

  const init = await hostFile(opts.init, "/init", 0o755, "--init");
  const initElf = readHostElf(opts.init);
  if (!initElf) throw new Error(`--init ${opts.init}: not an ELF executable`);
  set.add(init, `--init ${opts.init}`);

  const needs = opts.needs ?? [];
  for (const n of needs) {
    await hostFile(n, "/", 0o644, "--needs");
    try {
      if (!readHostElf(n)) throw new Error("not an ELF file");
    } catch (err) {
      throw new Error(`--needs ${n}: ${(err as Error).message}`, { cause: err });
    }
  }
  const libs = resolveLibraries([opts.init, ...needs], undefined, DLOPENED_LIBRARIES);
  for (const lib of libs.files) {
    const mode = initElf.interpreter === lib.path ? 0o755 : 0o644;
    set.add(await hostFile(lib.source, lib.path, mode, "library"), `library ${lib.source}`);
  }

  let kernelVersion: string | undefined;
  let modules: string[] = [];
  let builtinDrivers: string[] = [];
  // Module -> firmware names from its modinfo; looked up once the site's own files are in.
  const wantedFirmware = new Map<string, string[]>();
  if (opts.kernelModules !== false) {
    const dir = opts.kernelModules ?? defaultModulesDir();
    const st = await stat(dir).catch(() => undefined);
    if (!st?.isDirectory()) {
      throw new Error(`--kernel-modules ${dir}: no such directory (give the module tree of the kernel you will boot, e.g. /lib/modules/VERSION, or 'none')`);
    }
    let tree;
    try {
      tree = loadModuleTree(dir);
    } catch (err) {
      throw new Error(`--kernel-modules ${(err as Error).message}`, { cause: err });
    }
    kernelVersion = tree.version;
    const req = parseNetDrivers(opts.netDrivers);
    if (req.host) {
      const own = hostNetDrivers(opts.sysRoot);
      if (own.length === 0) throw new Error("--net-drivers host: this machine's network interfaces use no driver modules (built in, or no NIC)");
      req.strict.push(...own);
    }
    const sel = selectModules(tree, req);
    const base = `/lib/modules/${tree.version}`;
    const compression = opts.moduleCompression ?? "zstd";
    for (const rel of sel.modules) {
      const stored = installedModulePath(rel, compression);
      // Read (and decompressed) when it is stored compressed here or its firmware is wanted.
      const ko = stored !== rel || opts.firmware !== false ? await moduleImage(join(dir, rel)) : undefined;
      const entry =
        stored === rel || !ko
          ? await hostFile(join(dir, rel), `${base}/${rel}`, 0o644, "kernel module")
          : { type: "file" as const, path: `${base}/${stored}`, mode: 0o644, data: compressModule(ko) };
      set.add(entry, `--kernel-modules ${dir}`);
      const names = ko && opts.firmware !== false ? firmwareOf(ko, join(dir, rel)) : [];
      if (names.length > 0) wantedFirmware.set(moduleNameFromPath(rel), names);
    }
    for (const f of moduleIndexFiles(tree, sel.modules, compression)) set.add({ type: "file", path: `${base}/${f.path}`, mode: 0o644, data: f.data }, `--kernel-modules ${dir}`);
    modules = sel.modules.map(moduleNameFromPath);
    builtinDrivers = sel.builtin;
  }

  if (opts.busybox !== undefined) {
    const applets = await inspectBusybox(opts.busybox);
    set.add(await hostFile(opts.busybox, BUSYBOX_PATH, 0o755, "--busybox"), `--busybox ${opts.busybox}`);
    for (const applet of appletLinks(applets)) set.add({ type: "symlink", path: `/bin/${applet}`, target: "busybox" }, `--busybox ${opts.busybox}`);
  }

  if (opts.ca !== undefined) set.add({ type: "file", path: CA_PATH, mode: 0o644, data: await readCa(opts.ca) }, `--ca ${opts.ca}`);

  for (const path of opts.keys ?? []) set.add(trustedKeyEntry(path), `--key ${path}`);

  const settings = defaultSettings(opts.set ?? [], opts.ca !== undefined);
  if (settings.length > 0) set.add({ type: "file", path: CONF_PATH, mode: 0o644, data: Buffer.from(renderConf(settings)) }, "--set");

  if (opts.hooks !== undefined) await addHooks(set, opts.hooks);

  for (const spec of opts.add ?? []) {
    const { host, target } = parseAddSpec(spec);
    await addHostTree(set, host, target, `--add ${spec}`);
  }

  // After --add: a firmware file the site put in itself is the one that counts.
  const fwDir = opts.firmware === false ? undefined : (opts.firmware ?? DEFAULT_FIRMWARE_DIR);
  const fw = fwDir !== undefined && kernelVersion !== undefined ? findFirmware(wantedFirmware, fwDir, kernelVersion) : { files: [], missing: new Map<string, string[]>() };
  for (const f of fw.files) if (!set.has(f.path)) set.add(await hostFile(f.source, f.path, 0o644, "firmware"), `firmware ${f.source}`);

  const entries = set.entries();
  const files = planArchive(entries).map((e) => `/${e.path}`);
  await mkdir(dirname(opts.output), { recursive: true });
  const mtime = opts.mtime ?? mtimeFromEnv(process.env);
  const out = await writeCompressed(writeCpio(entries, { mtime }), opts.compress ?? "zstd", opts.output, { threads: opts.threads, level: opts.level });
  return {
    path: out.path,
    compressedBytes: out.compressedBytes,
    unpackedBytes: out.unpackedBytes,
    files,
    kernelVersion,
    modules,
    builtinDrivers,
    firmware: fw.files.map((f) => f.path),
    missingFirmware: fw.missing,
    libraries: libs.files.map((l) => l.path),
  };
}
