// Everything the bench starts (servers, VMs, tar pipelines, tmpfs mounts) is registered here and
// undone in reverse order: at the end of its step, on an error, on Ctrl-C or SIGTERM.
import { readFileSync, readdirSync } from "node:fs";

type Undo = () => void | Promise<void>;

const pending = new Map<number, { label: string; undo: Undo }>();
let next = 0;

/** Registers `undo`; call the returned function to run it now (once) and drop it. */
export function defer(label: string, undo: Undo): () => Promise<void> {
  const id = next++;
  pending.set(id, { label, undo });
  return async () => {
    const entry = pending.get(id);
    if (!entry) return;
    pending.delete(id);
    await entry.undo();
  };
}

/** Undoes everything still registered, newest first; failures are reported, never fatal. */
export async function undoAll(): Promise<void> {
  const entries = [...pending.entries()].reverse();
  pending.clear();
  for (const [, e] of entries) {
    try {
      await e.undo();
    } catch (err) {
      process.stderr.write(`bench: cleanup '${e.label}' failed: ${err instanceof Error ? err.message : String(err)}\n`);
    }
  }
}

/** Our own child processes (QEMU started by bootQemu is not handed to us), by /proc ppid. */
export function childPids(parent = process.pid): number[] {
  const out: number[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      // Field 4 (ppid) follows the ")" that closes the command name, which may contain spaces.
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (ppid === parent) out.push(Number(name));
    } catch {
      // Gone meanwhile.
    }
  }
  return out;
}

/** SIGKILLs our direct children by pid (and their process groups when they lead one). */
export function killChildren(): void {
  for (const pid of childPids()) {
    for (const target of [-pid, pid]) {
      try {
        process.kill(target, "SIGKILL");
      } catch {
        // Not a group leader, or already gone.
      }
    }
  }
}

let installed = false;

/**
 * Ctrl-C / SIGTERM: stop children, undo everything, run `last` (e.g. remove the work directory),
 * exit 130/143. A second signal exits at once.
 */
export function installSignalHandlers(last?: () => void): void {
  if (installed) return;
  installed = true;
  let stopping = false;
  for (const [sig, code] of [["SIGINT", 130], ["SIGTERM", 143], ["SIGHUP", 129]] as const) {
    process.on(sig, () => {
      if (stopping) process.exit(code);
      stopping = true;
      process.stderr.write(`\nbench: ${sig}: stopping VMs and tools, cleaning up\n`);
      killChildren();
      const hardStop = setTimeout(() => process.exit(code), 30_000);
      hardStop.unref();
      void undoAll().finally(() => {
        try {
          last?.();
        } finally {
          process.exit(code);
        }
      });
    });
  }
}
