// modules.alias: which module drives a device, by matching the device's modalias string against
// the shell-style globs depmod collected from every module's MODULE_DEVICE_TABLE.

export interface AliasEntry {
  pattern: string;
  module: string;
}

/** Module names as the kernel knows them: dashes and underscores are the same. */
export function normalizeModuleName(name: string): string {
  return name.replace(/-/g, "_");
}

/**
 * Reads `alias PATTERN MODULE` lines in file order, module names normalized; lines of any other
 * shape are skipped. `keep` drops aliases of modules that are of no use (not carried) before any
 * work is spent on them. Written for speed: under QEMU's emulation a distribution kernel's 26,000
 * lines take seconds with regular expressions, so depmod's own shape (single spaces) is taken
 * with indexOf and only other spacing (tabs, runs of blanks, CRLF) is split.
 */
export function parseModulesAlias(text: string, keep?: (module: string) => boolean): AliasEntry[] {
  const out: AliasEntry[] = [];
  let pos = 0;
  while (pos < text.length) {
    let end = text.indexOf("\n", pos);
    if (end < 0) end = text.length;
    const sep = text.charCodeAt(pos + 5);
    if ((sep === 0x20 || sep === 0x09) && text.startsWith("alias", pos)) {
      const line = text.slice(pos + 6, end);
      const sp = line.indexOf(" ");
      let pattern: string | undefined;
      let raw: string | undefined;
      if (sep === 0x20 && sp > 0 && line.indexOf(" ", sp + 1) < 0 && line.indexOf("\t") < 0 && !line.endsWith("\r")) {
        pattern = line.slice(0, sp);
        raw = line.slice(sp + 1);
      } else {
        const fields = line.split(/[ \t\r]+/).filter((f) => f !== "");
        if (fields.length === 2) [pattern, raw] = fields;
      }
      if (pattern && raw) {
        const module = raw.includes("-") ? normalizeModuleName(raw) : raw;
        if (!keep || keep(module)) out.push({ pattern, module });
      }
    }
    pos = end + 1;
  }
  return out;
}

/** fnmatch(3) without flags, as kmod uses it: `*`, `?`, `[...]` (with `!`/`^` and ranges), `\` escapes. */
export function globMatch(pattern: string, text: string): boolean {
  let p = 0;
  let t = 0;
  let starP = -1;
  let starT = 0;
  while (t < text.length) {
    if (p < pattern.length) {
      const c = pattern[p];
      if (c === "*") {
        starP = p++;
        starT = t;
        continue;
      }
      if (c === "?") {
        p++;
        t++;
        continue;
      }
      if (c === "[") {
        const r = matchClass(pattern, p, text[t]);
        if (r.end > 0) {
          if (r.matched) {
            p = r.end;
            t++;
            continue;
          }
        } else if (text[t] === "[") {
          // An unterminated '[' is an ordinary character.
          p++;
          t++;
          continue;
        }
      } else {
        let lit = c;
        let next = p + 1;
        if (c === "\\" && p + 1 < pattern.length) {
          lit = pattern[p + 1];
          next = p + 2;
        }
        if (lit === text[t]) {
          p = next;
          t++;
          continue;
        }
      }
    }
    if (starP >= 0) {
      p = starP + 1;
      t = ++starT;
      continue;
    }
    return false;
  }
  while (p < pattern.length && pattern[p] === "*") p++;
  return p === pattern.length;
}

/** Matches one character against the class starting at pattern[start] === '['; end is 0 if unterminated. */
function matchClass(pattern: string, start: number, ch: string): { matched: boolean; end: number } {
  let i = start + 1;
  let negate = false;
  if (pattern[i] === "!" || pattern[i] === "^") {
    negate = true;
    i++;
  }
  let matched = false;
  let first = true;
  while (i < pattern.length && (first || pattern[i] !== "]")) {
    first = false;
    let lo = pattern[i];
    if (lo === "\\" && i + 1 < pattern.length) lo = pattern[++i];
    let hi = lo;
    if (pattern[i + 1] === "-" && i + 2 < pattern.length && pattern[i + 2] !== "]") {
      hi = pattern[i + 2];
      if (hi === "\\" && i + 3 < pattern.length) hi = pattern[++i + 2];
      i += 2;
    }
    if (ch >= lo && ch <= hi) matched = true;
    i++;
  }
  if (i >= pattern.length) return { matched: false, end: 0 };
  return { matched: matched !== negate, end: i + 1 };
}

/**
 * Characters of literal prefix that file a glob under one key: "pci:v00008086" is a bus and a
 * vendor. A NIC-only image still has ~700 PCI globs, and comparing each of a dozen devices with
 * all of them took ~0.14 s of every boot under emulation; with the vendor as the key, a device
 * meets the few globs of its own vendor and those too vague to file.
 */
const KEY_LENGTH = 13;

interface Filed extends AliasEntry {
  /** Position in modules.alias: the order matches are reported in. */
  order: number;
}

/**
 * Aliases filed by the first KEY_LENGTH characters of their pattern when those are literal, so
 * that a device is only compared with the globs that could match it: modules.alias of a
 * distribution kernel has ~26,000.
 */
export class AliasIndex {
  private readonly byKey = new Map<string, Filed[]>();
  /** Globs with a wildcard before KEY_LENGTH: compared with every device. */
  private readonly vague: Filed[] = [];

  constructor(entries: AliasEntry[]) {
    entries.forEach((e, order) => {
      const literal = e.pattern.search(/[*?[\\]/);
      const f = { ...e, order };
      if (literal >= 0 && literal < KEY_LENGTH) {
        this.vague.push(f);
        return;
      }
      const key = e.pattern.slice(0, KEY_LENGTH);
      const list = this.byKey.get(key);
      if (list) list.push(f);
      else this.byKey.set(key, [f]);
    });
  }

  /** Modules whose aliases match `modalias`, each once, in modules.alias order. */
  match(modalias: string): string[] {
    const hits: Filed[] = [];
    for (const list of [this.byKey.get(modalias.slice(0, KEY_LENGTH)) ?? [], this.vague]) {
      for (const e of list) if (globMatch(e.pattern, modalias)) hits.push(e);
    }
    hits.sort((a, b) => a.order - b.order);
    const out: string[] = [];
    for (const e of hits) if (!out.includes(e.module)) out.push(e.module);
    return out;
  }
}
