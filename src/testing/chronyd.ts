// A real NTP server for the clock tests: Debian's chronyd, unpacked from its package (installing
// it would start a daemon that steers this machine's clock), run on a loopback port as a local
// stratum-8 reference that serves the host's clock and never touches it (-x).
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stopDaemon } from "./daemon";
import { unpackedPackage } from "./debian-package";
import { spawnInNetns } from "./netns";

/** The chronyd binary, downloaded and unpacked on first use. */
export async function chronydBinary(): Promise<string> {
  return join(await unpackedPackage("chrony", "usr/sbin/chronyd"), "usr/sbin/chronyd");
}

export interface Chronyd {
  port: number;
  stop(): Promise<void>;
}

/** chronyd answering NTP on `address`:`port` (inside network namespace `ns`); resolves once it has logged that it started. */
export async function startChronyd(o: { address: string; port: number; ns?: string }): Promise<Chronyd> {
  const bin = await chronydBinary();
  const dir = mkdtempSync(join(tmpdir(), "tarboot-chronyd-"));
  const conf = join(dir, "chrony.conf");
  writeFileSync(
    conf,
    [`port ${o.port}`, `bindaddress ${o.address}`, "local stratum 8", "allow all", "cmdport 0", "bindcmdaddress /", `pidfile ${join(dir, "pid")}`, ""].join("\n"),
  );
  // -d: foreground, log to stderr; -x: never adjust this machine's clock; -u root: no _chrony user here.
  const args = ["-f", conf, "-d", "-x", "-u", "root"];
  const child: ChildProcess = o.ns ? spawnInNetns(o.ns, bin, args) : spawn(bin, args, { stdio: ["ignore", "ignore", "pipe"] });
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
    stop: () => stopDaemon(child, dir),
  };
}
