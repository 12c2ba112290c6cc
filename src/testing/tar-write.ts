// A minimal ustar writer for tests that need archives GNU tar will not make: absolute names,
// "..", links out of the root, truncated or corrupted streams.

export interface RawMember {
  name: string;
  /** Tar typeflag: "0" file, "1" hardlink, "2" symlink, "5" directory, ... */
  type?: string;
  data?: Buffer | string;
  linkname?: string;
  mode?: number;
  uid?: number;
  gid?: number;
  mtime?: number;
}

function octal(buf: Buffer, off: number, len: number, value: number): void {
  buf.write(value.toString(8).padStart(len - 1, "0") + "\0", off, len, "latin1");
}

export function tarHeader(m: RawMember, size: number): Buffer {
  const h = Buffer.alloc(512);
  const name = Buffer.from(m.name, "utf8");
  if (name.length > 100) throw new Error(`tar-write: name longer than 100 bytes: ${m.name}`);
  name.copy(h, 0);
  octal(h, 100, 8, m.mode ?? (m.type === "5" ? 0o755 : 0o644));
  octal(h, 108, 8, m.uid ?? 0);
  octal(h, 116, 8, m.gid ?? 0);
  octal(h, 124, 12, size);
  octal(h, 136, 12, m.mtime ?? 1700000000);
  h.write(m.type ?? "0", 156, 1, "latin1");
  if (m.linkname) h.write(m.linkname, 157, 100, "utf8");
  h.write("ustar\0" + "00", 257, 8, "latin1");
  h.fill(0x20, 148, 156);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(sum.toString(8).padStart(6, "0") + "\0 ", 148, 8, "latin1");
  return h;
}

/** The archive as bytes; `end: false` leaves out the end-of-archive blocks. */
export function makeTar(members: RawMember[], opts: { end?: boolean } = {}): Buffer {
  const parts: Buffer[] = [];
  for (const m of members) {
    const data = m.data === undefined ? Buffer.alloc(0) : Buffer.isBuffer(m.data) ? m.data : Buffer.from(m.data);
    parts.push(tarHeader(m, data.length), data, Buffer.alloc((512 - (data.length % 512)) % 512));
  }
  if (opts.end !== false) parts.push(Buffer.alloc(1024));
  return Buffer.concat(parts);
}
