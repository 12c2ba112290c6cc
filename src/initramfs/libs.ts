// The shared libraries an executable needs, found on the build host the way its dynamic loader
// would find them (as initramfs-tools' copy_exec does through ldd), and where to put each one so
// the loader finds it again in the initramfs, which has no /etc/ld.so.cache.
//
// Host search order per object: DT_RPATH (only without DT_RUNPATH, also inherited from the
// executable), DT_RUNPATH, the directories of /etc/ld.so.conf (what ld.so.cache is made of), then
// the loader's built-in system directories. glibc-hwcaps subdirectories are never used: the
// initramfs boots on CPUs the build host knows nothing about.
//
// In the initramfs every library goes into /lib/<multiarch triplet>/ under the name it was asked
// by: that directory is in Debian's glibc built-in search path (`ld.so --help`: "system search
// path"), so no cache, RPATH or LD_LIBRARY_PATH is needed. The interpreter goes to its PT_INTERP path.
import { readFileSync, readdirSync, realpathSync, statSync } from "node:fs";
import { dirname, isAbsolute, join, resolve as resolvePath } from "node:path";
import { ElfError, type ElfInfo, readElfFile } from "../elf";

export interface LibraryFile {
  /** Absolute path inside the initramfs. */
  path: string;
  /** The file on the build host (symlinks resolved), copied as a regular file. */
  source: string;
}

export interface LibraryClosure {
  /** Interpreters and libraries, sorted by initramfs path. */
  files: LibraryFile[];
}

/** How the resolver sees the build host; the default reads the real file system. */
export interface LibHost {
  /** The ELF info of a file, or null when it does not exist or is not an ELF file. */
  readElf(path: string): ElfInfo | null;
  realpath(path: string): string;
  /** Library directories from /etc/ld.so.conf, in order. */
  ldSoConfDirs(): string[];
}

/** Debian's multiarch names by e_machine; the loader's system directories are named after them. */
const TRIPLETS: Record<number, string> = {
  62: "x86_64-linux-gnu",
  183: "aarch64-linux-gnu",
  243: "riscv64-linux-gnu",
  21: "powerpc64le-linux-gnu",
  22: "s390x-linux-gnu",
  258: "loongarch64-linux-gnu",
};

export function multiarchTriplet(machine: number): string {
  const t = TRIPLETS[machine];
  if (!t) throw new Error(`ELF machine ${machine}: no known multiarch library directory`);
  return t;
}

/** The loader's built-in directories, in its order, plus the lib64 ones other distributions use. */
export function systemLibDirs(machine: number): string[] {
  const t = multiarchTriplet(machine);
  return [`/lib/${t}`, `/usr/lib/${t}`, "/lib", "/usr/lib", "/lib64", "/usr/lib64"];
}

/**
 * Expands $ORIGIN in an RPATH/RUNPATH entry (relative to the object's own directory); entries with
 * other tokens ($LIB, $PLATFORM) or relative ones are dropped: the loader's meaning for them
 * depends on the machine it runs on, not the one building.
 */
export function expandSearchDir(entry: string, objectPath: string): string | null {
  const expanded = entry.replace(/\$(ORIGIN|\{ORIGIN\})/g, dirname(objectPath));
  if (expanded.includes("$") || !isAbsolute(expanded)) return null;
  return resolvePath(expanded);
}

/** ld.so.conf content: directories and `include` patterns, in order; `hwcap` lines and comments dropped. */
export function parseLdSoConf(text: string): Array<{ dir: string } | { include: string }> {
  const out: Array<{ dir: string } | { include: string }> = [];
  for (const raw of text.split("\n")) {
    const line = raw.replace(/#.*/, "").trim();
    if (line === "") continue;
    const m = /^include\s+(.+)$/.exec(line);
    if (m) {
      for (const pattern of m[1].split(/\s+/)) out.push({ include: pattern });
      continue;
    }
    if (/^hwcap\s/.test(line)) continue;
    for (const dir of line.split(/[:,\s]+/)) if (dir !== "") out.push({ dir });
  }
  return out;
}

function globLastComponent(pattern: string): string[] {
  const dir = dirname(pattern);
  const base = pattern.slice(dir.length + 1);
  if (!base.includes("*") && !base.includes("?")) return [pattern];
  const re = new RegExp(`^${base.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".")}$`);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names.filter((n) => re.test(n)).sort().map((n) => join(dir, n));
}

/** The directories /etc/ld.so.conf names, following includes (relative ones from the including file). */
export function readLdSoConf(file = "/etc/ld.so.conf", seen = new Set<string>()): string[] {
  if (seen.has(file)) return [];
  seen.add(file);
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    return [];
  }
  const dirs: string[] = [];
  for (const item of parseLdSoConf(text)) {
    if ("dir" in item) dirs.push(item.dir);
    else {
      const pattern = isAbsolute(item.include) ? item.include : join(dirname(file), item.include);
      for (const inc of globLastComponent(pattern)) dirs.push(...readLdSoConf(inc, seen));
    }
  }
  return dirs;
}

/**
 * The ELF info of a program or library the initramfs would carry; null when it is not ELF. 32-bit
 * files are refused: the library layout here (multiarch directories, one loader) is 64-bit only.
 */
export function readHostElf(path: string): ElfInfo | null {
  const info = readElfFile(path);
  if (info?.bits === 32) throw new ElfError(`${path}: 32-bit ELF (ELFCLASS32): only 64-bit programs are supported`);
  return info;
}

export const realHost: LibHost = {
  readElf(path) {
    try {
      if (!statSync(path).isFile()) return null;
    } catch {
      return null;
    }
    return readHostElf(path);
  },
  realpath: (path) => realpathSync(path),
  ldSoConfDirs: () => readLdSoConf(),
};

interface Pending {
  /** Path on the host the object was found at (before realpath), for $ORIGIN. */
  hostPath: string;
  info: ElfInfo;
  /** DT_RPATH of the chain that loaded it: the executable's applies to all its libraries. */
  inheritedRpath: string[];
  label: string;
}

function compatible(a: ElfInfo, b: ElfInfo): boolean {
  return a.machine === b.machine && a.littleEndian === b.littleEndian;
}

/**
 * The interpreters and the full library closure of `roots` (the init and files it dlopens). The
 * roots themselves are not part of the result. `dlopened`: sonames the first root opens by name
 * at run time, resolved as if it listed them as DT_NEEDED.
 */
export function resolveLibraries(roots: readonly string[], host: LibHost = realHost, dlopened: readonly string[] = []): LibraryClosure {
  const files = new Map<string, string>(); // initramfs path -> host source
  const add = (path: string, source: string, why: string) => {
    const had = files.get(path);
    if (had !== undefined && had !== source) {
      throw new Error(`${path} in the initramfs would be two different files: ${had} and ${source} (${why})`);
    }
    files.set(path, source);
  };
  const confDirs = host.ldSoConfDirs();
  const queue: Pending[] = [];
  /** Names the loaders satisfy themselves: an interpreter is already loaded under its soname. */
  const providedByLoader = new Set<string>();
  const resolved = new Set<string>(); // "machine:name" already placed

  for (const [i, root] of roots.entries()) {
    const elf = host.readElf(root);
    if (!elf) throw new Error(`${root}: not an ELF file (or missing)`);
    const info = i === 0 && dlopened.length > 0 ? { ...elf, needed: [...elf.needed, ...dlopened] } : elf;
    if (info.interpreter !== undefined) {
      const interpInfo = host.readElf(info.interpreter);
      if (!interpInfo) throw new Error(`${root}: its interpreter ${info.interpreter} does not exist on this host`);
      add(info.interpreter, host.realpath(info.interpreter), `interpreter of ${root}`);
      if (interpInfo.soname) providedByLoader.add(interpInfo.soname);
    }
    queue.push({ hostPath: root, info, inheritedRpath: [], label: root });
  }

  while (queue.length > 0) {
    const obj = queue.shift()!;
    const useRpath = obj.info.runpath.length === 0;
    const ownRpath = useRpath ? obj.info.rpath.map((d) => expandSearchDir(d, obj.hostPath)) : [];
    const rpath = useRpath ? [...ownRpath.filter((d): d is string => d !== null), ...obj.inheritedRpath] : [];
    const runpath = obj.info.runpath.map((d) => expandSearchDir(d, obj.hostPath)).filter((d): d is string => d !== null);
    const searchDirs = [...rpath, ...runpath, ...confDirs, ...systemLibDirs(obj.info.machine)];
    for (const name of obj.info.needed) {
      if (providedByLoader.has(name)) continue;
      const key = `${obj.info.machine}:${name}`;
      if (resolved.has(key)) continue;
      let found: { hostPath: string; info: ElfInfo } | undefined;
      const candidates = name.includes("/") ? [name] : searchDirs.map((d) => join(d, name));
      for (const candidate of candidates) {
        const info = host.readElf(candidate);
        if (info && compatible(info, obj.info)) {
          found = { hostPath: candidate, info };
          break;
        }
      }
      if (!found) {
        const where = name.includes("/") ? "" : ` (searched ${[...new Set(searchDirs)].join(", ")})`;
        throw new Error(`${name}, needed by ${obj.label}, not found on this host${where}`);
      }
      resolved.add(key);
      const target = name.includes("/") ? name : `/lib/${multiarchTriplet(obj.info.machine)}/${name}`;
      add(target, host.realpath(found.hostPath), `needed by ${obj.label}`);
      // DT_RPATH also covers what the object's libraries pull in (the loader walks the chain of loaders).
      queue.push({ hostPath: found.hostPath, info: found.info, inheritedRpath: useRpath ? rpath : obj.inheritedRpath, label: found.hostPath });
    }
  }

  const sorted = [...files.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return { files: sorted.map(([path, source]) => ({ path, source })) };
}
