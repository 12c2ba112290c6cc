// Builds the network test driver with esbuild (CJS, like the init bundle) and runs it under the
// pinned Node 24 inside a namespace, collecting its JSON lines.
import { join } from "node:path";
import { REPO, bundleDriver, node24, removeBundles } from "./bundle";
import type { DriverLine, DriverRequest } from "./net-driver";
import type { ScriptedServerConfig, ServerSaw } from "./net-dhcp-server";
import type { Saw6, Scripted6Config } from "./net-dhcp6-server";
import { spawnInNetns, stopProcess } from "./netns";

export { node24, removeBundles };

function bundle(entry: "net-driver" | "net-dhcp-server" | "net-dhcp6-server"): Promise<string> {
  return bundleDriver(join(REPO, "src", "testing", `${entry}.ts`));
}

export function driverBundle(): Promise<string> {
  return bundle("net-driver");
}

export interface DriverRun {
  lines: DriverLine[];
  stderr: string;
  code: number | null;
  elapsedMs: number;
}

export interface DriverHandle {
  lines: DriverLine[];
  stderr(): string;
  /** Resolves with the first line matching `pred`. */
  waitForLine(pred: (l: DriverLine) => boolean, timeoutMs: number): Promise<DriverLine>;
  done: Promise<DriverRun>;
  kill(): Promise<void>;
}

/**
 * Runs the driver in namespace `ns`; `unshareUts` gives it its own host name so that
 * sethostname() runs for real without touching the test machine's.
 */
export async function startDriver(ns: string, req: DriverRequest, o: { unshareUts?: boolean; timeoutMs: number }): Promise<DriverHandle> {
  const bundle = await driverBundle();
  const node = node24();
  const argv = [node, bundle, JSON.stringify(req)];
  const child = o.unshareUts ? spawnInNetns(ns, "unshare", ["--uts", ...argv]) : spawnInNetns(ns, argv[0], argv.slice(1));
  const started = Date.now();
  const lines: DriverLine[] = [];
  let stderr = "";
  let partial = "";
  const waiters: { pred: (l: DriverLine) => boolean; resolve: (l: DriverLine) => void }[] = [];
  child.stdout?.on("data", (d: Buffer) => {
    partial += d.toString();
    let nl: number;
    while ((nl = partial.indexOf("\n")) >= 0) {
      const text = partial.slice(0, nl);
      partial = partial.slice(nl + 1);
      if (!text.trim()) continue;
      const line = JSON.parse(text) as DriverLine;
      lines.push(line);
      for (const w of [...waiters]) {
        if (w.pred(line)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(line);
        }
      }
    }
  });
  child.stderr?.on("data", (d: Buffer) => {
    stderr += d.toString();
  });
  const hardKill = setTimeout(() => child.kill("SIGKILL"), o.timeoutMs);
  const done = new Promise<DriverRun>((resolve) => {
    child.once("exit", (code) => {
      clearTimeout(hardKill);
      resolve({ lines, stderr, code, elapsedMs: Date.now() - started });
    });
  });
  return {
    lines,
    stderr: () => stderr,
    waitForLine(pred, timeoutMs) {
      const found = lines.find(pred);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`driver did not report the expected line within ${timeoutMs}ms; stderr:\n${stderr}`)), timeoutMs);
        waiters.push({
          pred,
          resolve: (l) => {
            clearTimeout(timer);
            resolve(l);
          },
        });
      });
    },
    done,
    kill: () => stopProcess(child),
  };
}

export interface ScriptedServer {
  saw: ServerSaw[];
  stop(): Promise<void>;
}

/** Starts the scripted DHCP server in namespace `ns` and waits until it listens. */
export function startScriptedServer(ns: string, cfg: ScriptedServerConfig): Promise<ScriptedServer> {
  return startScripted<ServerSaw>("net-dhcp-server", ns, cfg);
}

/** The same for DHCPv6. */
export function startScriptedServer6(ns: string, cfg: Scripted6Config): Promise<{ saw: Saw6[]; stop(): Promise<void> }> {
  return startScripted<Saw6>("net-dhcp6-server", ns, cfg);
}

async function startScripted<S>(entry: "net-dhcp-server" | "net-dhcp6-server", ns: string, cfg: object): Promise<{ saw: S[]; stop(): Promise<void> }> {
  const file = await bundle(entry);
  const child = spawnInNetns(ns, node24(), [file, JSON.stringify(cfg)]);
  const saw: S[] = [];
  let partial = "";
  let stderr = "";
  child.stderr?.on("data", (d: Buffer) => {
    stderr += d.toString();
  });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`scripted DHCP server did not start; stderr:\n${stderr}`)), 15_000);
    child.once("exit", (code) => reject(new Error(`scripted DHCP server exited (${code}); stderr:\n${stderr}`)));
    child.stdout?.on("data", (d: Buffer) => {
      partial += d.toString();
      let nl: number;
      while ((nl = partial.indexOf("\n")) >= 0) {
        const line = JSON.parse(partial.slice(0, nl)) as S | { ready: true };
        partial = partial.slice(nl + 1);
        if (typeof line === "object" && line !== null && "ready" in line) {
          clearTimeout(timer);
          resolve();
        } else saw.push(line);
      }
    });
  });
  return { saw, stop: () => stopProcess(child) };
}
