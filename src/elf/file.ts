// ELF files on disk, read with positioned reads: only the headers and tables are read.
import { closeSync, openSync, readSync } from "node:fs";
import { ElfError, type ElfInfo, type ReadAt, parseElf } from "./parse";

/** Positioned reads on an open file; fewer bytes only at its end. */
export function fdReader(fd: number): ReadAt {
  return (offset, length) => {
    const buf = Buffer.alloc(length);
    let got = 0;
    while (got < length) {
      const n = readSync(fd, buf, got, length - got, offset + got);
      if (n === 0) break;
      got += n;
    }
    return buf.subarray(0, got);
  };
}

/** Parses the file at `path`; null when it is not ELF. ElfError messages start with the path. */
export function readElfFile(path: string): ElfInfo | null {
  const fd = openSync(path, "r");
  try {
    return parseElf(fdReader(fd));
  } catch (err) {
    if (err instanceof ElfError) throw new ElfError(`${path}: ${err.message}`, { cause: err });
    throw err;
  } finally {
    closeSync(fd);
  }
}
