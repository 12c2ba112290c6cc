// `npm run demo`: builds what is missing, serves a sample root from this machine and boots it in
// QEMU with tarboot's initramfs, the guest's console streamed to this terminal.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { ensureVmlinux } from "../qemu-tests/lib/vmlinux";
import { serveDir } from "../qemu-tests/lib/http";
import { accelerator, bootQemu } from "../qemu-tests/lib/qemu";
import { makeRootTarball } from "../qemu-tests/lib/testroot";
import { buildAll } from "./build";
import { DEMO_TOOLS, ensureTools } from "./prereqs";
import { OUT } from "./sea.mjs";

const MARKER = "TARBOOT-DEMO-BOOTED";

const DEMO_INIT = `#!/bin/sh
export PATH=/bin:/sbin
mount -t proc proc /proc 2>/dev/null
echo
echo "=== Hello from the sample root, unpacked by tarboot over HTTP ==="
echo "I am PID $$ on $(hostname), root filesystem: $(grep ' / ' /proc/mounts | cut -d' ' -f3)"
echo "/etc/resolv.conf: $(grep nameserver /etc/resolv.conf)"
echo "tarboot's boot timeline is in /run/tarboot/boot.json:"
cat /run/tarboot/boot.json
echo
echo "${MARKER}"
sync
poweroff -f
`;

async function main(): Promise<number> {
  ensureTools(DEMO_TOOLS);
  const demoDir = join(OUT, "demo");
  mkdirSync(demoDir, { recursive: true });
  process.stderr.write("demo: building the init, the initramfs and fetching a Debian kernel (first run takes a few minutes)\n");
  const built = await buildAll();
  const vmlinux = await ensureVmlinux(built.kernel);
  makeRootTarball(join(demoDir, "sample.tar.zst"), { busybox: true, files: { "sbin/init": { content: DEMO_INIT, mode: 0o755 } } });
  const server = await serveDir(demoDir);
  const append = `console=ttyS0 panic=-1 root=http://10.0.2.2:${server.port}/sample.tar.zst`;
  process.stderr.write(`demo: booting ${built.kernel.version} in QEMU (${accelerator()}) with: ${append}\n\n`);
  try {
    const r = await bootQemu({
      kernel: vmlinux,
      initrd: built.initramfs,
      append,
      hostname: "demo-node",
      domain: "tarboot.test",
      until: new RegExp(MARKER),
      waitForExit: true,
      timeoutMs: 600_000,
      onOutput: (c) => process.stdout.write(c),
      logFile: join(demoDir, "console.log"),
    });
    if (r.matched) {
      process.stderr.write(`\ndemo: the sample root booted in ${r.seconds.toFixed(1)}s (console log: ${join(demoDir, "console.log")})\n`);
      return 0;
    }
    process.stderr.write(`\ndemo: no marker ${r.timedOut ? "before the timeout" : "before QEMU exited"}; console log: ${join(demoDir, "console.log")}\n`);
    return 1;
  } finally {
    await server.close();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`demo: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
