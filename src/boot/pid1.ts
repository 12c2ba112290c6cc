// The init as PID 1: every failure, thrown or rejected, ends in failBoot (rescue shell or reboot),
// never in an exit the kernel would answer with a panic.
import { failBoot } from "./failure";
import { bootState, boot } from "./init";
import { startReaper } from "./reaper";

export function runAsPid1(args: string[]): void {
  const kernelEnv = { ...process.env };
  const fatal = (err: unknown) => void failBoot(err, bootState.panic);
  process.on("uncaughtException", fatal);
  process.on("unhandledRejection", fatal);
  startReaper();
  boot(args, kernelEnv).catch(fatal);
}
