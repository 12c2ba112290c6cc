// Entry point of the single executable. As PID 1 it boots; anywhere else it is a small tool
// (`init extract FILE DIR`) so the exact shipped code can be tested and benchmarked on a host.
import { loadNativeSelfTest } from "./selftest";

console.log("tarboot init placeholder", process.pid, process.argv);
console.log(loadNativeSelfTest());
