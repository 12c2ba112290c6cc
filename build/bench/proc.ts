// Runs a host command as its own process group with a hard time limit, timing it from spawn to
// exit; a pipeline (bash -c "zstd -dc | tar -x") dies as a whole on timeout or Ctrl-C.
import { spawn } from "node:child_process";
import { performance } from "node:perf_hooks";
import { defer } from "./cleanup";

export interface RunResult {
  seconds: number;
  code: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  /** The last 64 KiB of each stream. */
  stdout: string;
  stderr: string;
}

const KEEP = 64 * 1024;

export function runTimed(cmd: string, args: string[], opts: { timeoutMs: number; env?: NodeJS.ProcessEnv }): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"], detached: true, env: opts.env ?? process.env });
    let stdout = "";
    let stderr = "";
    let timedOut = false;
    const killGroup = () => {
      if (child.pid === undefined) return;
      try {
        process.kill(-child.pid, "SIGKILL");
      } catch {
        // Already gone.
      }
    };
    const release = defer(`${cmd} ${args.join(" ")}`, killGroup);
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup();
    }, opts.timeoutMs);
    child.stdout.setEncoding("utf8").on("data", (c: string) => (stdout = (stdout + c).slice(-KEEP)));
    child.stderr.setEncoding("utf8").on("data", (c: string) => (stderr = (stderr + c).slice(-KEEP)));
    child.on("error", (err) => {
      clearTimeout(timer);
      void release();
      reject(new Error(`cannot run ${cmd}: ${err.message}`));
    });
    child.on("close", (code, signal) => {
      const seconds = (performance.now() - started) / 1000;
      clearTimeout(timer);
      // The group may outlive its leader (a pipeline's first command): never leave it behind.
      killGroup();
      void release();
      resolve({ seconds, code, signal, timedOut, stdout, stderr });
    });
  });
}

/** Runs a command that must succeed within the limit; throws with its stderr otherwise. */
export async function mustRun(cmd: string, args: string[], timeoutMs: number, what: string): Promise<RunResult> {
  const r = await runTimed(cmd, args, { timeoutMs });
  if (r.timedOut) throw new Error(`${what}: ${cmd} did not finish within ${Math.round(timeoutMs / 1000)}s`);
  if (r.code !== 0) throw new Error(`${what}: ${cmd} ${args.join(" ")} failed (${r.signal ?? `exit ${r.code}`}): ${r.stderr.trim().slice(-2000)}`);
  return r;
}
