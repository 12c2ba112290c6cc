// pax extended header records ("%d %s=%s\n"), parsed as raw bytes: values such as
// SCHILY.xattr.security.capability are binary and must not pass through a text decoder.
import type { Timespec } from "../sys/fs";

export interface PaxRecord {
  key: string;
  value: Buffer;
}

export function parsePax(data: Buffer): PaxRecord[] {
  const out: PaxRecord[] = [];
  let pos = 0;
  while (pos < data.length) {
    // GNU tar pads the last block with NULs; a record never starts with one.
    if (data[pos] === 0) break;
    // The length's digits, read in place: one string fewer per record.
    let sp = pos;
    let len = 0;
    while (sp < data.length && sp - pos <= 20 && data[sp] >= 0x30 && data[sp] <= 0x39) len = len * 10 + data[sp++] - 0x30;
    if (sp === data.length || data[sp] !== 0x20 || sp - pos > 20) {
      const space = data.indexOf(0x20, pos);
      if (space < 0 || space - pos > 20) throw new Error(`malformed pax record at byte ${pos}`);
      throw new Error(`malformed pax record length ${JSON.stringify(data.toString("latin1", pos, space))}`);
    }
    if (sp === pos) throw new Error(`malformed pax record length ""`);
    const end = pos + len;
    if (len < 5 || end > data.length || data[end - 1] !== 0x0a) throw new Error(`malformed pax record at byte ${pos} (length ${len})`);
    const eq = data.indexOf(0x3d, sp + 1);
    if (eq < 0 || eq >= end) throw new Error(`malformed pax record at byte ${pos} (no '=')`);
    out.push({ key: data.toString("utf8", sp + 1, eq), value: data.subarray(eq + 1, end - 1) });
    pos = end;
  }
  return out;
}

/** A decimal pax time ("1700000000.123456789", "-1.5") as seconds and nanoseconds. */
export function parsePaxTime(text: string): Timespec {
  // The usual shape, "SECONDS.NANOSECONDS" with nine digits, without a regular expression.
  const dot = text.indexOf(".");
  if (dot > 0 && dot <= 15 && text.length === dot + 10 && text.charCodeAt(0) !== 0x2d) {
    let sec = 0;
    let nsec = 0;
    let ok = true;
    for (let i = 0; i < dot && ok; i++) {
      const c = text.charCodeAt(i) - 0x30;
      ok = c >= 0 && c <= 9;
      sec = sec * 10 + c;
    }
    for (let i = dot + 1; i < text.length && ok; i++) {
      const c = text.charCodeAt(i) - 0x30;
      ok = c >= 0 && c <= 9;
      nsec = nsec * 10 + c;
    }
    if (ok) return { sec, nsec };
  }
  const m = /^(-?)([0-9]+)(?:\.([0-9]*))?$/.exec(text);
  if (!m) throw new Error(`bad pax time ${JSON.stringify(text)}`);
  const sec = Number(m[2]);
  const nsec = Number(((m[3] ?? "") + "000000000").slice(0, 9));
  if (m[1] !== "-") return { sec, nsec };
  return nsec === 0 ? { sec: -sec, nsec: 0 } : { sec: -sec - 1, nsec: 1_000_000_000 - nsec };
}

export function parsePaxInt(text: string, key: string): number {
  if (!/^[0-9]+$/.test(text)) throw new Error(`bad pax ${key} ${JSON.stringify(text)}`);
  const v = Number(text);
  if (!Number.isSafeInteger(v)) throw new Error(`pax ${key} ${text} out of range`);
  return v;
}
