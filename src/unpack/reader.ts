// A push parser for tar streams: feed it chunks of any size, it calls the sink synchronously for
// each member and its data. It never holds more than one header, one extension record (bounded)
// and the bytes of the chunk it is given.
import type { Timespec } from "../sys/fs";
import type { Entry, EntrySink, EntryType } from "./entry";
import { BLOCK, checksumOk, field, isZeroBlock, numeric, parseHeader, parseOldGnuSparse, parseOldGnuSparseExt, type RawHeader } from "./header";
import { display } from "./names";
import { parsePax, parsePaxHeader, parsePaxInt, parsePaxTime, type PaxHeader, type PaxRecord } from "./pax";

/** Long names, pax headers and sparse maps larger than this are refused (they are read into memory). */
export const MAX_EXTENSION = 64 * 1024 * 1024;

export class TarFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "TarFormatError";
  }
}

const enum State {
  Header,
  Data,
  Skip,
  Collect,
  Done,
}

const TYPES: Record<string, EntryType> = {
  "0": "file",
  "7": "file",
  "1": "hardlink",
  "2": "symlink",
  "3": "char",
  "4": "block",
  "5": "dir",
  "6": "fifo",
  D: "dir",
};

export class TarReader {
  private state = State.Header;
  private readonly hdr = Buffer.alloc(BLOCK);
  private hdrFill = 0;
  private remaining = 0;
  private padAfter = 0;
  private collectBuf: Buffer = Buffer.alloc(0);
  private collectFill = 0;
  private onCollected: (data: Buffer) => void = () => {};
  private longName: string | null = null;
  private longLink: string | null = null;
  private pax: PaxHeader | null = null;
  private readonly globals = new Map<string, Buffer>();
  private current: string | null = null;
  private last: string | null = null;
  private headers = 0;
  /** Bytes of tar stream consumed, up to and including the end-of-archive block. */
  position = 0;
  entries = 0;

  constructor(private readonly sink: EntrySink) {}

  /** The entry being read, or the last one completed, for messages. */
  get where(): string | null {
    return this.current ?? this.last;
  }

  get done(): boolean {
    return this.state === State.Done;
  }

  push(chunk: Buffer): void {
    const len = chunk.length;
    let pos = 0;
    while (pos < len) {
      switch (this.state) {
        case State.Header: {
          if (this.hdrFill === 0 && len - pos >= BLOCK) {
            this.position += BLOCK;
            this.header(chunk, pos);
            pos += BLOCK;
          } else {
            const n = Math.min(BLOCK - this.hdrFill, len - pos);
            chunk.copy(this.hdr, this.hdrFill, pos, pos + n);
            this.hdrFill += n;
            pos += n;
            if (this.hdrFill === BLOCK) {
              this.hdrFill = 0;
              this.position += BLOCK;
              this.header(this.hdr, 0);
            }
          }
          break;
        }
        case State.Data: {
          const n = Math.min(this.remaining, len - pos);
          this.sink.data(chunk, pos, pos + n);
          this.remaining -= n;
          this.position += n;
          pos += n;
          if (this.remaining === 0) this.finishData();
          break;
        }
        case State.Skip: {
          const n = Math.min(this.remaining, len - pos);
          this.remaining -= n;
          this.position += n;
          pos += n;
          if (this.remaining === 0) this.state = State.Header;
          break;
        }
        case State.Collect: {
          const n = Math.min(this.collectBuf.length - this.collectFill, len - pos);
          chunk.copy(this.collectBuf, this.collectFill, pos, pos + n);
          this.collectFill += n;
          this.position += n;
          pos += n;
          if (this.collectFill === this.collectBuf.length) {
            this.skipThen(this.padAfter);
            this.onCollected(this.collectBuf);
          }
          break;
        }
        case State.Done:
          return;
      }
    }
  }

  /** The input ended: anything short of the end-of-archive marker is a truncated archive. */
  end(): void {
    if (this.state === State.Done) return;
    if (this.state === State.Data) {
      throw new TarFormatError(`unexpected end of archive in entry ${display(this.current ?? "?")} (${this.remaining} bytes of data missing)`);
    }
    if (this.state === State.Header && this.headers === 0) {
      if (this.hdrFill === 0) throw new TarFormatError("empty archive (no tar header at all)");
      throw new TarFormatError(`not a tar archive (only ${this.hdrFill} bytes, starts with ${this.hdr.toString("hex", 0, Math.min(16, this.hdrFill))})`);
    }
    const after = this.last !== null ? ` after entry ${display(this.last)}` : "";
    if (this.current !== null) throw new TarFormatError(`unexpected end of archive in entry ${display(this.current)}`);
    if (this.state === State.Header && this.hdrFill === 0) {
      throw new TarFormatError(`unexpected end of archive${after} (no end-of-archive marker)`);
    }
    throw new TarFormatError(`unexpected end of archive in a header${after}`);
  }

  private skipThen(n: number): void {
    if (n > 0) {
      this.remaining = n;
      this.state = State.Skip;
    } else {
      this.state = State.Header;
    }
  }

  private collect(size: number, what: string, then: (data: Buffer) => void): void {
    if (size > MAX_EXTENSION) throw new TarFormatError(`${what} of ${size} bytes is larger than the ${MAX_EXTENSION}-byte limit`);
    this.collectBuf = Buffer.allocUnsafe(size);
    this.collectFill = 0;
    this.padAfter = pad(size);
    this.onCollected = then;
    if (size === 0) {
      this.skipThen(0);
      then(this.collectBuf);
    } else {
      this.state = State.Collect;
    }
  }

  private header(buf: Buffer, off: number): void {
    const first = this.headers === 0;
    this.headers++;
    if (isZeroBlock(buf, off)) {
      if (this.current !== null) throw new TarFormatError(`end-of-archive marker in the middle of entry ${display(this.current)}`);
      this.state = State.Done;
      return;
    }
    if (!checksumOk(buf, off)) {
      if (first) throw new TarFormatError(`not a tar archive (starts with ${buf.toString("hex", off, off + 16)})`);
      const after = this.last !== null ? ` after entry ${display(this.last)}` : "";
      throw new TarFormatError(`corrupt tar header${after} (checksum mismatch at byte ${this.position - BLOCK})`);
    }
    // Extension records (a pax archive has one before every member) need only their size.
    const t = buf[off + 156];
    if (t === 0x78 || t === 0x58 || t === 0x67 || t === 0x4c || t === 0x4b) {
      let size: number;
      try {
        size = numeric(buf, off + 124, 12);
      } catch (e) {
        throw new TarFormatError(`corrupt tar header for ${display(field(buf, off, 100))}: ${(e as Error).message}`);
      }
      this.current = this.longName ?? field(buf, off, 100);
      return this.extension(t, size);
    }
    let h: RawHeader;
    try {
      h = parseHeader(buf, off);
    } catch (e) {
      throw new TarFormatError(`corrupt tar header for ${display(field(buf, off, 100))}: ${(e as Error).message}`);
    }
    this.current = this.longName ?? h.name;
    switch (h.typeflag) {
      case "V":
        // A volume label names the archive, not a file.
        this.current = null;
        return this.skipThen(h.size + pad(h.size));
      case "M":
        throw new TarFormatError(`entry ${display(this.current)} continues a multi-volume archive, which is not supported`);
      case "S": {
        const sp = parseOldGnuSparse(buf, off);
        const segments = sp.map;
        if (!sp.extended) return this.member(h, { realSize: sp.realSize, segments });
        const more = (d: Buffer) => {
          const ext = parseOldGnuSparseExt(d, 0);
          segments.push(...ext.map);
          if (ext.extended) this.collect(BLOCK, "sparse map", more);
          else this.member(h, { realSize: sp.realSize, segments });
        };
        return this.collect(BLOCK, "sparse map", more);
      }
      default:
        return this.member(h, undefined);
    }
  }

  /** A GNU long name or link ('L', 'K'), a pax header ('x', 'X') or a pax global header ('g'). */
  private extension(type: number, size: number): void {
    switch (type) {
      case 0x4c:
        return this.collect(size, "GNU long name", (d) => (this.longName = cstring(d)));
      case 0x4b:
        return this.collect(size, "GNU long link name", (d) => (this.longLink = cstring(d)));
      case 0x67:
        return this.collect(size, "pax global header", (d) => {
          for (const r of this.parsePax(d)) {
            if (r.value.length === 0) this.globals.delete(r.key);
            else this.globals.set(r.key, Buffer.from(r.value));
          }
          this.current = null;
        });
      default:
        return this.collect(size, "pax header", (d) => {
          try {
            this.pax = parsePaxHeader(d);
          } catch (e) {
            throw new TarFormatError(`corrupt pax header for ${display(this.current ?? "?")}: ${(e as Error).message}`);
          }
        });
    }
  }

  /** The global records with the member's own applied in order: values, xattrs, a 0.0 sparse map. */
  private mergeAttributes(pax: PaxHeader | null): { values: Map<string, Buffer>; xattrs: [string, Buffer][]; sparse00: number[] } {
    const values = new Map(this.globals);
    const xattrs: [string, Buffer][] = [];
    const sparse00: number[] = [];
    for (const [k, v] of this.globals) if (k.startsWith("SCHILY.xattr.")) xattrs.push([k.slice(13), v]);
    for (const r of pax?.records ?? []) {
      if (r.key.startsWith("SCHILY.xattr.")) {
        const name = r.key.slice(13);
        const i = xattrs.findIndex(([n]) => n === name);
        if (i >= 0) xattrs.splice(i, 1);
        xattrs.push([name, r.value]);
      } else if (r.key === "GNU.sparse.offset" || r.key === "GNU.sparse.numbytes") {
        sparse00.push(parsePaxInt(r.value.toString("latin1"), r.key));
      } else if (r.value.length === 0) {
        values.delete(r.key);
      } else {
        values.set(r.key, r.value);
      }
    }
    return { values, xattrs, sparse00 };
  }

  private parsePax(d: Buffer): PaxRecord[] {
    try {
      return parsePax(d);
    } catch (e) {
      throw new TarFormatError(`corrupt pax header for ${display(this.current ?? "?")}: ${(e as Error).message}`);
    }
  }

  private member(h: RawHeader, oldSparse: Entry["sparse"]): void {
    const pax = this.pax;
    // The usual pax header (mtime, atime, ctime) and no globals: nothing to merge.
    const attrs = this.globals.size > 0 || (pax !== null && pax.records.length > 0) ? this.mergeAttributes(pax) : null;
    const xattrs = attrs?.xattrs ?? [];
    const text = (k: string) => attrs?.values.get(k)?.toString("latin1");
    const int = (k: string, dflt: number) => {
      const t = text(k);
      return t === undefined ? dflt : parsePaxInt(t, k);
    };

    let name = text("path") ?? this.longName ?? h.name;
    let linkname = text("linkpath") ?? this.longLink ?? h.linkname;
    let size = int("size", h.size);
    let mtime: Timespec | null = pax?.mtime ?? null;
    if (mtime === null) {
      const t = text("mtime");
      mtime = t !== undefined ? parsePaxTime(t) : { sec: h.mtime, nsec: 0 };
    }
    const sparse00 = attrs?.sparse00 ?? [];

    let type: EntryType = TYPES[h.typeflag] ?? "file";
    if (type === "file" && h.magic === "v7" && name.endsWith("/")) type = "dir";

    let sparse = oldSparse;
    let sparseMapInData = false;
    const sparseName = text("GNU.sparse.name");
    if (sparseName !== undefined) name = sparseName;
    if (text("GNU.sparse.major") === "1") {
      if (text("GNU.sparse.minor") !== "0") throw new TarFormatError(`entry ${display(name)} uses GNU sparse format 1.${text("GNU.sparse.minor")}, which is not supported`);
      sparse = { realSize: int("GNU.sparse.realsize", 0), segments: [] };
      sparseMapInData = true;
    } else if (text("GNU.sparse.map") !== undefined) {
      const nums = (text("GNU.sparse.map") as string).split(",").filter((s) => s !== "").map((s) => parsePaxInt(s, "GNU.sparse.map"));
      sparse = { realSize: int("GNU.sparse.size", int("GNU.sparse.realsize", 0)), segments: pairs(nums, name) };
    } else if (sparse00.length > 0) {
      sparse = { realSize: int("GNU.sparse.size", int("GNU.sparse.realsize", 0)), segments: pairs(sparse00, name) };
    }

    if (oldSparse) {
      // GNU tar can store a long sparse file's name in the 'L' record; the 'S' header's size is the stored size.
      type = "file";
    }
    // `tar --selinux` keeps the label apart from the xattrs; GNU tar sets it as libselinux does:
    // the string with its NUL.
    const label = attrs?.values.get("RHT.security.selinux");
    if (label) {
      const i = xattrs.findIndex(([n]) => n === "security.selinux");
      if (i >= 0) xattrs.splice(i, 1);
      xattrs.push(["security.selinux", Buffer.concat([label, Buffer.alloc(1)])]);
    }
    const access = attrs?.values.get("SCHILY.acl.access")?.toString("utf8");
    const dflt = attrs?.values.get("SCHILY.acl.default")?.toString("utf8");
    const entry: Entry = {
      name,
      type,
      mode: h.mode & 0o7777,
      uid: int("uid", h.uid),
      gid: int("gid", h.gid),
      size,
      mtime,
      linkname,
      devmajor: int("SCHILY.devmajor", h.devmajor),
      devminor: int("SCHILY.devminor", h.devminor),
      xattrs,
      sparse,
    };
    if (access !== undefined || dflt !== undefined) entry.acl = { ...(access !== undefined && { access }), ...(dflt !== undefined && { default: dflt }) };
    this.longName = null;
    this.longLink = null;
    this.pax = null;
    this.current = name;

    if (sparseMapInData) return this.readSparseMap(entry, Buffer.alloc(0));
    this.begin(entry);
  }

  /** GNU sparse 1.0 keeps its map as decimal lines in the first blocks of the member's data. */
  private readSparseMap(entry: Entry, sofar: Buffer): void {
    if (entry.size - sofar.length < BLOCK) throw new TarFormatError(`entry ${display(entry.name)}: sparse map runs past the member's data`);
    this.collect(BLOCK, "sparse map", (block) => {
      const buf = Buffer.concat([sofar, block]);
      const nums = parseSparseLines(buf);
      if (nums === null) {
        if (buf.length > MAX_EXTENSION) throw new TarFormatError(`entry ${display(entry.name)}: sparse map larger than ${MAX_EXTENSION} bytes`);
        return this.readSparseMap(entry, buf);
      }
      entry.sparse = { realSize: entry.sparse?.realSize ?? 0, segments: pairs(nums.slice(1), entry.name) };
      entry.size -= buf.length;
      this.begin(entry);
    });
  }

  private begin(entry: Entry): void {
    this.sink.begin(entry);
    this.entries++;
    if (entry.type === "file" && entry.size > 0) {
      this.remaining = entry.size;
      this.padAfter = pad(entry.size);
      this.state = State.Data;
    } else {
      // Links, directories and devices carry no data GNU tar would use; skip whatever is stored.
      this.finishData();
      this.skipThen(entry.type === "file" ? 0 : entry.size + pad(entry.size));
    }
  }

  private finishData(): void {
    this.sink.end();
    this.last = this.current;
    this.current = null;
    this.skipThen(this.state === State.Data ? this.padAfter : 0);
  }
}

function pad(size: number): number {
  return (BLOCK - (size % BLOCK)) % BLOCK;
}

function cstring(d: Buffer): string {
  const nul = d.indexOf(0);
  return d.toString("latin1", 0, nul < 0 ? d.length : nul);
}

function pairs(nums: number[], name: string): [number, number][] {
  if (nums.length % 2 !== 0) throw new TarFormatError(`entry ${display(name)}: sparse map has an odd number of values`);
  const out: [number, number][] = [];
  for (let i = 0; i < nums.length; i += 2) out.push([nums[i], nums[i + 1]]);
  return out;
}

/** The numbers of a 1.0 sparse map once all 1 + 2n lines are present, else null. */
function parseSparseLines(buf: Buffer): number[] | null {
  const nums: number[] = [];
  let pos = 0;
  let want = -1;
  while (want < 0 || nums.length < want) {
    const nl = buf.indexOf(0x0a, pos);
    if (nl < 0) return null;
    const t = buf.toString("latin1", pos, nl);
    if (!/^[0-9]+$/.test(t)) throw new TarFormatError(`bad number ${JSON.stringify(t)} in a GNU sparse 1.0 map`);
    nums.push(Number(t));
    if (want < 0) want = 1 + 2 * Number(t);
    pos = nl + 1;
  }
  return nums;
}
