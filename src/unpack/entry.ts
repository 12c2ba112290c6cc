// What the tar reader hands to the writer: one member, fully resolved (long names, pax records,
// sparse maps applied), followed by its data bytes.
import type { Timespec } from "../sys/fs";

export type EntryType = "file" | "dir" | "symlink" | "hardlink" | "char" | "block" | "fifo";

export interface SparseMap {
  /** The file's size once holes are restored. */
  realSize: number;
  /** [offset in the file, length] of each stored data segment, in archive order. */
  segments: [number, number][];
}

export interface Entry {
  /** The member name as raw bytes (latin1 string), before normalisation. */
  name: string;
  type: EntryType;
  /** Permission bits including setuid, setgid and sticky. */
  mode: number;
  uid: number;
  gid: number;
  /** Data bytes that follow in the archive (the stored bytes, for a sparse file). */
  size: number;
  mtime: Timespec;
  /** Symlink target or hardlink target, raw bytes. */
  linkname: string;
  devmajor: number;
  devminor: number;
  /** Every SCHILY.xattr.* record, in archive order (and RHT.security.selinux as security.selinux). */
  xattrs: [string, Buffer][];
  /** SCHILY.acl.access and SCHILY.acl.default (`tar --acls`): libacl's text form. */
  acl?: { access?: string; default?: string };
  sparse?: SparseMap;
}

/** Receives members in archive order; calls are synchronous so that backpressure is the caller's stack. */
export interface EntrySink {
  begin(entry: Entry): void;
  data(buf: Buffer, start: number, end: number): void;
  end(): void;
}
