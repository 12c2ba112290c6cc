// Before the initramfs is deleted, make sure the new init will run: a failed process.execve aborts
// Node (a kernel panic for PID 1), and once the initramfs is gone there is no rescue shell left.
// The check follows what execve will need, inside the new root: the file, its #! interpreter,
// its ELF machine and dynamic loader.
import { closeSync, openSync, readSync, statSync } from "node:fs";
import { join } from "node:path";
import { BootError } from "../console/errors";
import { ELF_MACHINES, isElf, parseElfHeader as parseElf, runsHere } from "../elf";
import { type InRoot, resolveInRoot } from "./resolve-in-root";

const BINPRM_BUF_SIZE = 256; // how much of a file the kernel reads to pick a format
const MAX_NESTING = 4; // the kernel's limit on interpreters of interpreters

function chainText(root: string, r: InRoot): string {
  const [first, ...rest] = r.steps;
  return [join(root, first), ...rest].join(" -> ");
}

function fail(label: string, text: string): never {
  throw new BootError("init", `${label}: ${text}`);
}

function readAt(fd: number): (offset: number, length: number) => Buffer {
  return (offset, length) => {
    const buf = Buffer.alloc(length);
    const n = readSync(fd, buf, 0, length, offset);
    return buf.subarray(0, n);
  };
}

function checkProgram(root: string, path: string, label: string, depth: number): void {
  const r = resolveInRoot(root, path);
  const chain = chainText(root, r);
  if (r.loop) fail(label, `too many levels of symbolic links in the new root (${chain})`);
  if (r.missing) fail(label, `not found in the new root (${chain}: ${r.missing === r.path ? "missing" : `${r.missing} missing`})`);

  const file = join(root, r.path);
  const st = statSync(file);
  if (!st.isFile()) fail(label, `not a regular file in the new root (${chain}: ${st.isDirectory() ? "a directory" : "a special file"})`);
  // Root may execute a file when any execute bit is set.
  if ((st.mode & 0o111) === 0) fail(label, `not executable in the new root (${chain}: mode ${(st.mode & 0o7777).toString(8).padStart(4, "0")})`);

  const fd = openSync(file, "r");
  try {
    const read = readAt(fd);
    const head = read(0, BINPRM_BUF_SIZE);
    if (head[0] === 0x23 && head[1] === 0x21) {
      if (depth >= MAX_NESTING) fail(label, `too many nested #! interpreters (${chain})`);
      const end = head.indexOf(0x0a);
      const line = head.subarray(2, end < 0 ? head.length : end).toString("latin1");
      const interpreter = line.trim().split(/[ \t]/)[0];
      if (!interpreter) fail(label, `its #! line names no interpreter (${chain})`);
      checkProgram(root, interpreter, `${label}: its interpreter ${interpreter}`, depth + 1);
      return;
    }
    if (!isElf(head)) fail(label, `neither an ELF program nor a #! script (${chain})`);
    let elf;
    try {
      elf = parseElf(read);
    } catch (err) {
      fail(label, `a damaged ELF file (${chain}: ${(err as Error).message})`);
    }
    if (!elf) fail(label, `neither an ELF program nor a #! script (${chain})`);
    if (runsHere(elf.machine) === false)
      fail(label, `built for ${ELF_MACHINES[elf.machine] ?? `ELF machine ${elf.machine}`}, but this machine is ${process.arch} (${chain})`);
    if (elf.interpreter) checkProgram(root, elf.interpreter, `${label}: its dynamic loader ${elf.interpreter}`, depth + 1);
  } finally {
    closeSync(fd);
  }
}

/** Throws a BootError saying what is missing when `init` (a path inside `newRoot`) would not run. */
export function checkInit(newRoot: string, init: string): void {
  const label = `init=${init}`;
  if (!init.startsWith("/")) fail(label, "not an absolute path");
  checkProgram(newRoot, init, label, 0);
}
