// Entry point of the single executable. As PID 1 it boots and never exits; anywhere else it is the
// unpack tool (`init extract SOURCE DIR`), so the exact shipped code can be tested on a host.
import "./started";
import { failBoot } from "./failure";
import { bootState, boot } from "./init";
import { startReaper } from "./reaper";

// In a SEA argv[1] repeats how the binary was invoked; the kernel's arguments for init follow it.
const args = process.argv.slice(2);

if (process.pid === 1) {
  const kernelEnv = { ...process.env };
  const fatal = (err: unknown) => void failBoot(err, bootState.panic);
  process.on("uncaughtException", fatal);
  process.on("unhandledRejection", fatal);
  startReaper();
  boot(args, kernelEnv).catch(fatal);
} else {
  import("../cli/extract").then(
    (m) => m.extractCli(args[0] === "extract" ? args.slice(1) : args).then((code) => process.exit(code)),
    (err: unknown) => {
      process.stderr.write(`tarboot: ${String(err)}\n`);
      process.exit(1);
    },
  );
}
