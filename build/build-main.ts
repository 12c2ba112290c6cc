// `npm run build`. Kept apart from build.ts: inside an esbuild bundle every module is "main", so
// a main-module check there would start a build in whatever imports buildAll (demo, tests, bench).
import { buildAll } from "./build";

buildAll().then(
  (r) => process.stdout.write(`init: ${r.init}\ninitramfs: ${r.initramfs}\nkernel: ${r.kernel.vmlinuz} (${r.kernel.version})\n`),
  (err: unknown) => {
    process.stderr.write(`build failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
