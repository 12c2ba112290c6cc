// The optional rescue shell: a static busybox as /bin/busybox, /bin/sh, and links for the applets
// someone debugging a failed network boot reaches for. Static only: the initramfs carries the
// libraries the init needs, not whatever a dynamic busybox would.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { isStatic } from "../elf";
import { readHostElf } from "./libs";

const run = promisify(execFile);

export const BUSYBOX_PATH = "/bin/busybox";

/** Linked when the busybox has them; a rescue shell's worth, not every applet (no init, no linuxrc). */
export const RESCUE_APPLETS: readonly string[] = [
  "[", "[[", "arp", "ash", "awk", "basename", "blkid", "cat", "chmod", "chown", "chroot", "clear", "cp", "cpio",
  "cttyhack", "cut", "date", "dd", "df", "dirname", "dmesg", "du", "echo", "egrep", "env", "false", "fgrep", "find",
  "free", "grep", "gunzip", "gzip", "halt", "head", "hexdump", "hostname", "id", "ifconfig", "insmod", "ip", "kill",
  "killall", "less", "ln", "losetup", "ls", "lsmod", "md5sum", "mdev", "mkdir", "mknod", "modinfo", "modprobe", "more",
  "mount", "mv", "nc", "nproc", "nslookup", "pidof", "ping", "ping6", "pivot_root", "poweroff", "printf", "ps",
  "readlink", "realpath", "reboot", "reset", "rm", "rmdir", "rmmod", "route", "sed", "seq", "setsid", "sh",
  "sha256sum", "sleep", "sort", "stat", "strings", "stty", "switch_root", "sync", "sysctl", "tail", "tar", "tee",
  "test", "timeout", "top", "touch", "tr", "traceroute", "true", "udhcpc", "umount", "uname", "uniq", "unxz",
  "uptime", "vi", "watch", "wc", "wget", "which", "xargs", "xxd", "xz", "xzcat", "zcat",
];

/** The links to make, from what the binary says it has (`busybox --list`). */
export function appletLinks(available: readonly string[]): string[] {
  const have = new Set(available);
  return RESCUE_APPLETS.filter((a) => have.has(a));
}

/** Checks the file is a static ELF busybox and returns its applet list. */
export async function inspectBusybox(path: string): Promise<string[]> {
  let info;
  try {
    info = readHostElf(path);
  } catch (err) {
    throw new Error(`--busybox ${path}: ${(err as Error).message}`, { cause: err });
  }
  if (!info) throw new Error(`--busybox ${path}: not an ELF executable`);
  if (!isStatic(info)) {
    const why = [info.interpreter && `interpreter ${info.interpreter}`, info.needed.length > 0 && `needs ${info.needed.join(", ")}`].filter(Boolean).join("; ");
    throw new Error(`--busybox ${path}: dynamically linked (${why}); the rescue shell needs a static busybox, e.g. /bin/busybox from Debian's busybox-static`);
  }
  try {
    const { stdout } = await run(path, ["--list"], { timeout: 10_000 });
    const applets = stdout.split("\n").filter((l) => l !== "");
    if (!applets.includes("sh")) throw new Error("it lists no 'sh' applet");
    return applets;
  } catch (err) {
    throw new Error(`--busybox ${path}: '${path} --list' did not give busybox's applets (${(err as Error).message})`, { cause: err });
  }
}
