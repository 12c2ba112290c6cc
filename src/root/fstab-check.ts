// Does the new root's /etc/fstab expect disks? A root tarred from an installed machine keeps its
// fstab: `/` from UUID=... (the root is tarboot's tmpfs, and systemd-remount-fs fails remounting
// it with ext4's options), other filesystems and swap on devices a diskless node does not have
// (systemd waits 90 s for each device, then a filesystem the boot requires sends it to emergency
// mode). The booted system says so deep in its journal, or on a console nobody watches; tarboot
// says it before the switch, naming the line.
import { lstatSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { resolveInRoot } from "./resolve-in-root";

export interface FstabEntry {
  /** 1-based line number in the file. */
  line: number;
  spec: string;
  file: string;
  type: string;
  options: string[];
}

export interface FstabProblem {
  line: number;
  entry: string;
  problem: string;
}

/** fstab(5): whitespace-separated fields, `#` comments, `\040`-style octal escapes in the first two. */
export function parseFstab(text: string): FstabEntry[] {
  const unescape = (s: string) => s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
  const out: FstabEntry[] = [];
  text.split("\n").forEach((raw, i) => {
    const fields = raw.replace(/#.*/, "").trim().split(/\s+/);
    if (fields.length < 3) return;
    out.push({ line: i + 1, spec: unescape(fields[0]), file: unescape(fields[1]), type: fields[2], options: (fields[3] ?? "defaults").split(",") });
  });
  return out;
}

/** A block device, by tag or by path: what a diskless node usually does not have. */
export function isDeviceSpec(spec: string): boolean {
  return /^(UUID|LABEL|PARTUUID|PARTLABEL|ID)=/i.test(spec) || (spec.startsWith("/dev/") && !spec.startsWith("/dev/shm"));
}

const WAIT = "systemd waits 90s for the device";

/** What the booted system will trip over, one item an entry. */
export function fstabProblems(entries: FstabEntry[]): FstabProblem[] {
  const problems: FstabProblem[] = [];
  for (const e of entries) {
    const entry = `${e.spec} ${e.file} ${e.type} ${e.options.join(",")}`;
    const add = (problem: string) => problems.push({ line: e.line, entry, problem });
    if (e.options.includes("noauto")) continue;
    if (e.file === "/") {
      if (e.type !== "tmpfs") add(`/ is tarboot's tmpfs, not ${e.spec}: systemd-remount-fs will fail remounting it as ${e.type} (${e.options.join(",")}); leave / out of the diskless root's fstab`);
      continue;
    }
    if (!isDeviceSpec(e.spec) || e.options.includes("nofail")) continue;
    if (e.type === "swap") add(`swap on ${e.spec}: ${WAIT} (the boot goes on without it; add nofail if some nodes lack it)`);
    else add(`${e.file} from ${e.spec}: ${WAIT}, then stops in emergency mode if this node lacks it (add nofail, or leave it out of the diskless root)`);
  }
  return problems;
}

/** The new root's fstab problems; none when it has no /etc/fstab (or it cannot be read). */
export function fstabInRoot(root: string): FstabProblem[] {
  const at = resolveInRoot(root, "/etc/fstab");
  if (at.missing || at.loop) return [];
  let text: string;
  try {
    // A FIFO there would block PID 1 in the read.
    if (!lstatSync(join(root, at.path)).isFile()) return [];
    text = readFileSync(join(root, at.path), "utf8");
  } catch {
    return [];
  }
  return fstabProblems(parseFstab(text));
}
