// Builds the network test driver with esbuild (CJS, like the init bundle) and runs it under the
// pinned Node 24 inside a namespace, collecting its JSON lines.
import { build } from "esbuild";
import { execFileSync } from "node:child_process";
import { mkdirSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { DriverLine, DriverRequest } from "./net-driver";
import type { ScriptedServerConfig, ServerSaw } from "./net-dhcp-server";
import { spawnInNetns, stopProcess } from "./netns";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const OUT_DIR = join(ROOT, "build", "cache", "net-test");

const bundles = new Map<string, Promise<string>>();

/** A test entry bundled once per test process; node_modules next to build/ resolves koffi. */
function bundle(entry: "net-driver" | "net-dhcp-server"): Promise<string> {
  let b = bundles.get(entry);
  if (b) return b;
  b = (async () => {
    mkdirSync(OUT_DIR, { recursive: true });
    // Per process, so parallel test runs never load each other's half-written bundle.
    const outfile = join(OUT_DIR, `${entry}-${process.pid}.cjs`);
    await build({
      entryPoints: [join(ROOT, "src", "testing", `${entry}.ts`)],
      bundle: true,
      platform: "node",
      format: "cjs",
      target: "node24",
      outfile,
      external: ["koffi", "lzma-native", "undici"],
      logLevel: "warning",
    });
    return outfile;
  })();
  bundles.set(entry, b);
  return b;
}

/** Deletes this process's bundles (call from afterAll: test workers do not always see "exit"). */
export async function removeBundles(): Promise<void> {
  for (const [entry, b] of [...bundles]) {
    bundles.delete(entry);
    rmSync(await b, { force: true });
  }
}

export function driverBundle(): Promise<string> {
  return bundle("net-driver");
}

export function node24(): string {
  return execFileSync(process.execPath, [join(ROOT, "build", "node24.mjs")], { encoding: "utf8" }).trim();
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
export async function startScriptedServer(ns: string, cfg: ScriptedServerConfig): Promise<ScriptedServer> {
  const file = await bundle("net-dhcp-server");
  const child = spawnInNetns(ns, node24(), [file, JSON.stringify(cfg)]);
  const saw: ServerSaw[] = [];
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
        const line = JSON.parse(partial.slice(0, nl)) as ServerSaw | { ready: true };
        partial = partial.slice(nl + 1);
        if ("ready" in line) {
          clearTimeout(timer);
          resolve();
        } else saw.push(line);
      }
    });
  });
  return { saw, stop: () => stopProcess(child) };
}
