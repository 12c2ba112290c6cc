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
