// Builders for the extractor's conformance tests: a source tree with every kind of member GNU
// tar can store, archives made from it by GNU tar and bsdtar, reference extractions by GNU tar,
// and throwaway tmpfs mounts to extract into. Needs root, GNU tar, bsdtar, attr, libcap2-bin,
// gzip, zstd, xz and bzip2.
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export type Flavour = "full" | "ustar";

/** GNU tar's flags for a faithful extraction as root, as tarboot must reproduce. */
export const GNU_EXTRACT_FLAGS = ["--xattrs", "--xattrs-include=*", "--numeric-owner", "-p"];

function sh(script: string, env: Record<string, string> = {}): string {
  return execFileSync("bash", ["-euo", "pipefail", "-c", script], { encoding: "latin1", env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
}

/**
 * Fills `dir` with every case the extractor must reproduce. "ustar" leaves out what the ustar
 * format cannot store (names over 255 bytes, long link targets, uids above 2097151, times before
 * 1970, xattrs, sparse files).
 */
export function makeFixtureTree(dir: string, flavour: Flavour = "full"): void {
  const full = flavour === "full";
  sh(
    `
cd "$D"
mkdir -p plain/sub/deeper empty-dir ro-dir sticky sgid-dir
printf 'hello\\n' > plain/hello.txt
: > plain/empty
head -c 300000 /dev/urandom > plain/sub/random.bin
head -c 1000 /dev/urandom > plain/sub/deeper/k.bin
printf 'in a read-only dir\\n' > ro-dir/file
chmod 0500 ro-dir
chmod 1777 sticky
chmod 2755 sgid-dir
printf '#!/bin/sh\\n' > setuid-prog && chmod 4755 setuid-prog
printf '#!/bin/sh\\n' > setgid-prog && chmod 2711 setgid-prog
printf 'x' > odd-mode && chmod 0421 odd-mode
printf 'owned' > owned && chown 12345:54321 owned
mkdir owned-dir && chown 23456:34567 owned-dir
ln -s plain/hello.txt rel-link
ln -s /etc/passwd abs-link
ln -s ../nowhere/at/all dangling-link
ln -s plain dir-link
chown -h 4242:2424 rel-link
printf 'linked' > plain/hl-a && ln plain/hl-a plain/hl-b && ln plain/hl-a hl-c
ln setuid-prog setuid-hardlink
mknod chardev c 1 3 && mknod blockdev b 7 0 && mkfifo fifo && chmod 0620 chardev && chown 0:5 chardev
P=$(printf 'p%.0s' $(seq 1 60))
mkdir -p split/$P/$P && printf 'name split over prefix and name' > split/$P/$P/file-with-a-longer-name.txt
printf 'bad name' > $'bad-\\xff\\xfe-name' && mkdir $'dir-\\xe9' && printf 'x' > $'dir-\\xe9/\\x80file'
printf 'utf8' > 'ünïcödé ☃'
if [ -n "$FULL" ]; then
  L=$(printf 'n%.0s' $(seq 1 120))
  mkdir -p long/$L && printf 'long name' > long/$L/$L.txt
  M=$(printf 'm%.0s' $(seq 1 90))
  mkdir -p long/$M/$M/$M && printf 'very long name' > long/$M/$M/$M/$M.txt
  T=$(printf 't%.0s' $(seq 1 150))
  ln -s /$T/$T/target long-target-link
  printf 'big ids' > big-ids && chown 4000000:3000000 big-ids
  printf 'old' > before-1970
  touch -d @-86400 before-1970
  printf 'cap' > ping-like && chmod 0755 ping-like && setcap cap_net_raw+ep ping-like
  setfattr -n user.note -v hello plain/hello.txt
  setfattr -n user.bin -v 0x00ff10fe0a plain/empty
  setfattr -n trusted.t -v 0x01 plain/sub
  setfattr -n user.dirattr -v x ro-dir
  setfattr -h -n trusted.link -v 0x0203 rel-link
  truncate -s 8M sparse-mid && printf 'data in the middle' | dd of=sparse-mid bs=1 seek=4194304 conv=notrunc status=none
  truncate -s 3M sparse-tail && printf 'head' | dd of=sparse-tail conv=notrunc status=none
  truncate -s 5M sparse-all-hole
  truncate -s 2M sparse-many && for i in $(seq 0 40); do printf "blk$i" | dd of=sparse-many bs=1 seek=$((i*40960)) conv=notrunc status=none; done
fi
for f in plain/hello.txt plain/sub/random.bin owned setuid-prog; do touch -d @1700000000.123456789 "$f"; done
touch -h -d @1600000000.5 rel-link abs-link
touch -d @1500000000.987654321 ro-dir/file
touch -d @1234567890.000000001 ro-dir empty-dir plain/sub plain split/$P
touch -d @1111111111 sticky sgid-dir owned-dir chardev fifo
touch -d @1222222222.22 .
`,
    { D: dir, FULL: full ? "1" : "" },
  );
}

export type TarTool = "gnu" | "bsdtar";
export type TarFormat = "gnu" | "pax" | "ustar" | "oldgnu" | "posix-sparse-0.0" | "posix-sparse-0.1" | "posix-sparse-1.0";

/** Archives `srcDir`'s contents (as "./...") into `out` with the given tool and format. */
export function createArchive(tool: TarTool, format: TarFormat, srcDir: string, out: string): void {
  if (tool === "bsdtar") {
    const fmt = format === "gnu" ? "gnutar" : format;
    execFileSync("bsdtar", ["--xattrs", "--format", fmt, "-cf", out, "-C", srcDir, "."], { stdio: ["ignore", "ignore", "pipe"] });
    return;
  }
  // GNU tar stores xattrs only in pax archives (and refuses --xattrs for the others).
  const args = ["--numeric-owner"];
  if (format !== "ustar") args.push("-S");
  if (format === "pax" || format.startsWith("posix-sparse-")) args.push("--xattrs", "--xattrs-include=*");
  if (format.startsWith("posix-sparse-")) args.push("--format=pax", `--sparse-version=${format.slice("posix-sparse-".length)}`);
  else args.push(`--format=${format}`);
  execFileSync("tar", [...args, "-cf", out, "-C", srcDir, "."], { stdio: ["ignore", "ignore", "pipe"] });
}

/** GNU tar as the reference: `tar --xattrs --xattrs-include='*' --numeric-owner -p -xf`. */
export function gnuExtract(archive: string, dir: string, extra: string[] = []): void {
  execFileSync("tar", [...GNU_EXTRACT_FLAGS, ...extra, "-xf", archive, "-C", dir], { stdio: ["ignore", "ignore", "pipe"] });
}

export type Compressor = "gzip" | "zstd" | "xz" | "bzip2";

/** Writes `file` compressed next to it and returns the new name. */
export function compressFile(file: string, kind: Compressor, args: string[] = []): string {
  const ext = { gzip: "gz", zstd: "zst", xz: "xz", bzip2: "bz2" }[kind];
  const out = `${file}.${ext}`;
  const cmd = { gzip: "gzip", zstd: "zstd", xz: "xz", bzip2: "bzip2" }[kind];
  sh(`${cmd} ${args.join(" ")} -c -- "$F" > "$O"`, { F: file, O: out });
  return out;
}

/** A scratch directory with a tmpfs mounted on it (a real target, like the boot root). */
export class TmpfsScratch {
  readonly dir: string;
  constructor(size = "512m") {
    this.dir = mkdtempSync(join(tmpdir(), "tarboot-unpack-"));
    execFileSync("mount", ["-t", "tmpfs", "-o", `size=${size},mode=0755`, "tarboot-test", this.dir]);
  }

  /** A fresh empty directory inside the tmpfs. */
  sub(name: string): string {
    const p = join(this.dir, name);
    rmSync(p, { recursive: true, force: true });
    mkdirSync(p);
    return p;
  }

  dispose(): void {
    try {
      execFileSync("umount", ["-l", this.dir]);
    } finally {
      rmSync(this.dir, { recursive: true, force: true });
    }
  }
}
