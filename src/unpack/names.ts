// Member names as GNU tar treats them on extraction: leading '/' removed, '.' and empty
// components dropped, '..' refused. Names are byte strings (latin1: one char per byte).

export class UnsafeNameError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UnsafeNameError";
  }
}

/**
 * Splits a member name into components relative to the root. The empty array is the root itself
 * (a "./" member). Throws UnsafeNameError for a name that climbs out with "..".
 */
export function memberComponents(name: string, what = "entry"): string[] {
  const parts = name.split("/");
  const out: string[] = [];
  for (const p of parts) {
    if (p === "" || p === ".") continue;
    if (p === "..") throw new UnsafeNameError(`${what} ${display(name)} escapes the root (contains '..')`);
    if (p.includes("\0")) throw new UnsafeNameError(`${what} ${display(name)} contains a NUL byte`);
    out.push(p);
  }
  return out;
}

/**
 * memberComponents(name).join("/"), the member's path relative to the root ("" for the root
 * itself). Names as tar writes them ("./usr/bin/x", "usr/share/", "etc/passwd") are checked in one
 * pass and sliced, not split and joined: this runs for every member.
 */
export function normalizedMember(name: string, what = "entry"): string {
  let s = 0;
  while (name.charCodeAt(s) === 0x2e && name.charCodeAt(s + 1) === 0x2f) s += 2;
  let e = name.length;
  while (e > s && name.charCodeAt(e - 1) === 0x2f) e--;
  let compStart = s;
  for (let i = s; i <= e; i++) {
    const c = i < e ? name.charCodeAt(i) : 0x2f;
    if (c === 0) return memberComponents(name, what).join("/");
    if (c !== 0x2f) continue;
    const len = i - compStart;
    // An empty, "." or ".." component: the general way, which drops or refuses it.
    if (len === 0 || (name.charCodeAt(compStart) === 0x2e && (len === 1 || (len === 2 && name.charCodeAt(compStart + 1) === 0x2e)))) {
      return memberComponents(name, what).join("/");
    }
    compStart = i + 1;
  }
  return s === 0 && e === name.length ? name : name.slice(s, e);
}

/** A byte-string name for a console message: UTF-8 when it is, \xNN escapes for other bytes. */
export function display(name: string): string {
  if (/^[\x20-\x7e]*$/.test(name)) return name;
  const bytes = Buffer.from(name, "latin1");
  const text = bytes.toString("utf8");
  if (Buffer.from(text, "utf8").equals(bytes) && !/[\x00-\x1f\x7f]/.test(text)) return text;
  let out = "";
  for (const b of bytes) out += b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : `\\x${b.toString(16).padStart(2, "0")}`;
  return out;
}

/** A byte string as an fs path: the string itself when it is ASCII, its bytes otherwise. */
export function fsPath(s: string): string | Buffer {
  // eslint-disable-next-line no-control-regex
  return /^[\x00-\x7f]*$/.test(s) ? s : Buffer.from(s, "latin1");
}
