// The daemons the tests run (chronyd, rsyslogd, a registry) are stopped the same way.
import type { ChildProcess } from "node:child_process";
import { rmSync } from "node:fs";

/** SIGTERM, then its scratch folder removed once it has exited. */
export function stopDaemon(child: ChildProcess, dir: string): Promise<void> {
  return new Promise<void>((resolve) => {
    const done = () => {
      rmSync(dir, { recursive: true, force: true });
      resolve();
    };
    if (child.exitCode !== null || child.signalCode !== null) return done();
    child.once("exit", done);
    child.kill("SIGTERM");
  });
}
