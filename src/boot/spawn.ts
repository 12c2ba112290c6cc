// Children the init starts itself (hooks, the rescue shell). They are registered so that the
// orphan reaper of PID 1 leaves them to Node, which must collect their exit status itself.
import { constants } from "node:os";

const owned = new Set<number>();

export function isOwnedChild(pid: number): boolean {
  return owned.has(pid);
}

export interface RunOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Default: inherit the console. */
  stdio?: "inherit" | "ignore";
}

/** Runs a program to completion; resolves with its exit code (128+N for a signal), rejects if it cannot start. */
export async function runProgram(file: string, args: string[], opts: RunOptions = {}): Promise<number> {
  // Loaded on first use: most boots run no program, and loading it cost ~0.1 s of each under emulation.
  const { spawn } = await import("node:child_process");
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { env: opts.env ?? process.env, cwd: opts.cwd, stdio: opts.stdio ?? "inherit" });
    if (child.pid !== undefined) owned.add(child.pid);
    child.once("error", (err) => {
      if (child.pid !== undefined) owned.delete(child.pid);
      reject(new Error(`cannot run ${file}: ${err.message}`, { cause: err }));
    });
    child.once("exit", (code, signal) => {
      if (child.pid !== undefined) owned.delete(child.pid);
      resolve(code ?? 128 + (signal ? signalNumber(signal) : 0));
    });
  });
}

function signalNumber(signal: NodeJS.Signals): number {
  const n = constants.signals[signal];
  return typeof n === "number" ? n : 0;
}
