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
    const sp = data.indexOf(0x20, pos);
    if (sp < 0 || sp - pos > 20) throw new Error(`malformed pax record at byte ${pos}`);
    const lenText = data.toString("latin1", pos, sp);
    if (!/^[0-9]+$/.test(lenText)) throw new Error(`malformed pax record length ${JSON.stringify(lenText)}`);
    const len = Number(lenText);
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
