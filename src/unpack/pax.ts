// pax extended header records ("%d %s=%s\n"), parsed as raw bytes: values such as
// SCHILY.xattr.security.capability are binary and must not pass through a text decoder.
import type { Timespec } from "../sys/fs";

export interface PaxRecord {
  key: string;
  value: Buffer;
}

export function parsePax(data: Buffer): PaxRecord[] {
  const out: PaxRecord[] = [];
  scanPax(data, (key, value, end) => out.push({ key: data.toString("utf8", key, value - 1), value: data.subarray(value, end) }));
  return out;
}

/** The records of a member's own pax header: its mtime already parsed, the rest as records. */
export interface PaxHeader {
  /** From a non-empty `mtime` record (the last one); null when there is none. */
  mtime: Timespec | null;
  /** Every other record except atime and ctime, which extraction does not use. */
  records: PaxRecord[];
}

const enum Key {
  Other,
  Mtime,
  Ignored,
}

/**
 * As parsePax, for the header before a member. A pax archive from GNU tar has one per member
 * with just mtime, atime and ctime: those are recognised by their bytes, so the usual header
 * costs no key strings, value buffers or maps at all.
 */
export function parsePaxHeader(data: Buffer): PaxHeader {
  const out: PaxHeader = { mtime: null, records: [] };
  scanPax(data, (key, value, end) => {
    const kind = value - 1 - key === 5 ? shortKey(data, key) : Key.Other;
    if (kind === Key.Ignored) return;
    if (kind === Key.Mtime && end > value) {
      out.mtime = paxTimeAt(data, value, end);
      return;
    }
    // An empty mtime deletes a global one: it goes with the other records, and a later
    // non-empty one wins again, as records apply in order.
    if (kind === Key.Mtime) out.mtime = null;
    out.records.push({ key: data.toString("utf8", key, value - 1), value: data.subarray(value, end) });
  });
  return out;
}

function shortKey(d: Buffer, k: number): Key {
  // "mtime", "atime", "ctime": four bytes in common after the first.
  if (d[k + 1] !== 0x74 || d[k + 2] !== 0x69 || d[k + 3] !== 0x6d || d[k + 4] !== 0x65) return Key.Other;
  const c = d[k];
  return c === 0x6d ? Key.Mtime : c === 0x61 || c === 0x63 ? Key.Ignored : Key.Other;
}

/**
 * Walks the records, checking their framing; `visit` gets the offsets of the key, of the value
 * (just after '=') and of the value's end (before the newline).
 */
function scanPax(data: Buffer, visit: (key: number, value: number, end: number) => void): void {
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
    visit(sp + 1, eq + 1, end - 1);
    pos = end;
  }
}

/** A pax time from its bytes: "SECONDS.NANOSECONDS" read in place, any other shape as text. */
function paxTimeAt(d: Buffer, start: number, end: number): Timespec {
  const dot = end - 10;
  if (dot > start && dot - start <= 15 && d[dot] === 0x2e) {
    let sec = 0;
    let nsec = 0;
    let ok = true;
    for (let i = start; i < dot && ok; i++) {
      const c = d[i] - 0x30;
      ok = c >= 0 && c <= 9;
      sec = sec * 10 + c;
    }
    for (let i = dot + 1; i < end && ok; i++) {
      const c = d[i] - 0x30;
      ok = c >= 0 && c <= 9;
      nsec = nsec * 10 + c;
    }
    if (ok) return { sec, nsec };
  }
  return parsePaxTime(d.toString("latin1", start, end));
}

/** A decimal pax time ("1700000000.123456789", "-1.5") as seconds and nanoseconds. */
export function parsePaxTime(text: string): Timespec {
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
