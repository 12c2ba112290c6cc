// A real NTP server for the clock tests: Debian's chronyd, fetched with `apt-get download` and
// unpacked under build/cache/chrony/ (installing the package would start a daemon that steers
// this machine's clock), run on a loopback port as a local stratum-8 reference that serves the
// host's clock and never touches it (-x).
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import { ROOT } from "../../build/paths.mjs";
import { aptDownload } from "../initramfs/debian-kernel";

const run = promisify(execFile);
const CACHE = join(ROOT, "build", "cache", "chrony");
const BINARY = join(CACHE, "usr", "sbin", "chronyd");

/** The chronyd binary, downloaded and unpacked on first use (safe when several processes race). */
export async function chronydBinary(): Promise<string> {
  if (existsSync(BINARY)) return BINARY;
  // Beside the cache, so that the rename below stays on one filesystem.
  mkdirSync(dirname(CACHE), { recursive: true });
  const work = mkdtempSync(`${CACHE}-tmp-`);
  try {
    const deb = await aptDownload("chrony", work);
    const tree = join(work, "tree");
    await run("dpkg-deb", ["-x", deb, tree]);
    try {
      renameSync(tree, CACHE);
    } catch (err) {
      // Another process got there first.
      if (!existsSync(BINARY)) throw err;
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return BINARY;
}

export interface Chronyd {
  port: number;
  stop(): Promise<void>;
}

/** chronyd answering NTP on `address`:`port`; resolves once it has logged that it started. */
export async function startChronyd(o: { address: string; port: number }): Promise<Chronyd> {
  const bin = await chronydBinary();
  const dir = mkdtempSync(join(tmpdir(), "tarboot-chronyd-"));
  const conf = join(dir, "chrony.conf");
  writeFileSync(
    conf,
    [`port ${o.port}`, `bindaddress ${o.address}`, "local stratum 8", "allow all", "cmdport 0", "bindcmdaddress /", `pidfile ${join(dir, "pid")}`, ""].join("\n"),
  );
  // -d: foreground, log to stderr; -x: never adjust this machine's clock; -u root: no _chrony user here.
  const child: ChildProcess = spawn(bin, ["-f", conf, "-d", "-x", "-u", "root"], { stdio: ["ignore", "ignore", "pipe"] });
  let log = "";
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`chronyd did not start in 10 s: ${log}`)), 10_000);
    child.stderr?.on("data", (d: Buffer) => {
      log += d.toString();
      if (/Disabled control of system clock/.test(log)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`chronyd exited with ${code}: ${log}`));
    });
  });
  return {
    port: o.port,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve(void rmSync(dir, { recursive: true, force: true }));
        child.once("exit", () => {
          rmSync(dir, { recursive: true, force: true });
          resolve();
        });
        child.kill("SIGTERM");
      }),
  };
}

/** A UDP port nobody uses now on 127.0.0.1. */
export async function freeUdpPort(): Promise<number> {
  const { createSocket } = await import("node:dgram");
  const s = createSocket("udp4");
  await new Promise<void>((r) => s.bind(0, "127.0.0.1", r));
  const port = s.address().port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

