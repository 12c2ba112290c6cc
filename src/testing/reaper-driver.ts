// Runs the PID-1 reaper in a process that stands in for PID 1 (a child subreaper) and reports,
// as JSON on stdout, what happened to an orphan and to a child the init itself started.
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { reapOrphans, startReaper } from "../boot/reaper";
import { runProgram } from "../boot/spawn";
import { becomeSubreaper } from "../sys/proc";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function state(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ")[0];
  } catch {
    return "gone";
  }
}

async function main(): Promise<void> {
  becomeSubreaper();
  const out: Record<string, unknown> = {};
  // sh starts a background sleep and exits at once: the sleep is orphaned to us and exits later.
  const r = spawnSync("/bin/sh", ["-c", "sleep 0.3 & echo $!"], { encoding: "utf8" });
  const orphan = Number(r.stdout.trim());
  await sleep(800);
  out.orphanBefore = state(orphan);
  out.reaped = reapOrphans();
  out.orphanAfter = state(orphan);
  // With the reaper running on its timer, Node still collects its own child's status.
  startReaper();
  out.ownedExit = await runProgram("/bin/sh", ["-c", "sleep 1.5; exit 7"], { stdio: "ignore" });
  process.stdout.write(`${JSON.stringify(out)}\n`);
  process.exit(0);
}

main().catch((e: unknown) => {
  process.stdout.write(`${JSON.stringify({ error: String(e) })}\n`);
  process.exit(1);
});
