// Entry point of the single executable. As PID 1 it boots and never exits; anywhere else it is the
// unpack tool (`init extract SOURCE DIR`), so the exact shipped code can be tested on a host.
// Each side is imported when taken. For PID 1 that also means a module that fails to evaluate
// (the native addon cannot be written or loaded, say) is caught here instead of ending PID 1,
// which the kernel would answer with a panic.
import "./started";

// In a SEA argv[1] repeats how the binary was invoked; the kernel's arguments for init follow it.
const args = process.argv.slice(2);

if (process.pid === 1) {
  import("./pid1").then(
    (m) => m.runAsPid1(args),
    (err: unknown) => import("./unstartable").then((m) => m.cannotStart(err)),
  );
} else {
  import("../cli/extract").then(
    (m) => m.extractCli(args[0] === "extract" ? args.slice(1) : args).then((code) => process.exit(code)),
    (err: unknown) => {
      process.stderr.write(`tarboot: ${String(err)}\n`);
      process.exit(1);
    },
  );
}
