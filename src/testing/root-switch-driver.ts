// Driver for the switch_root end-to-end test; runs bundled, as root, inside
// `unshare --mount --propagation private`. It builds a fake initramfs on a tmpfs (with /proc,
// /dev and /run mounted in it, some payload files and a mount that must survive), a new root by
// tarboot's own mountRoot holding a static busybox and an /sbin/init script, chroots into the fake
// initramfs so that it is this process's "/" as the real one is PID 1's, and calls the real
// switchRoot. Node needs nothing from the disk after it has started, so the fake initramfs holds
// no Node at all. What the new init prints is the test's evidence.
import { chmodSync, copyFileSync, mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { mount } from "../sys/mount";
import { chroot } from "../sys/proc";
import { switchRoot } from "../root/switch-root";
import { mountRoot } from "../root/tmpfs";
import { Timeline } from "../root/timeline";
import { bootConfig } from "./root-fixtures";

const MS_BIND = 4096;
const MS_REC = 16384;

const [work, initScript, ...initArgs] = process.argv.slice(2);
const old = join(work, "old");

mkdirSync(old, { recursive: true });
mount("tmpfs", old, "tmpfs", 0, "mode=0755,size=256m");
for (const d of ["proc", "dev", "run", "sys", "lib/modules", "scripts"]) mkdirSync(join(old, d), { recursive: true });
mount("proc", join(old, "proc"), "proc", 0, null);
mount("/dev", join(old, "dev"), null, MS_BIND | MS_REC, null);
mount("tmpfs", join(old, "run"), "tmpfs", 0, "mode=0755");
writeFileSync(join(old, "run/marker"), "carried over\n");
// What an initramfs holds: the init binary (tarboot itself) and kernel modules.
writeFileSync(join(old, "init"), Buffer.alloc(24 * 1048576, 7));
writeFileSync(join(old, "lib/modules/e1000.ko"), Buffer.alloc(4096, 1));
// A mount that is not carried over: left alone, hidden under the new root.
mkdirSync(join(old, "mnt/keep"), { recursive: true });
mount("tmpfs", join(old, "mnt/keep"), "tmpfs", 0, "size=1m");
writeFileSync(join(old, "mnt/keep/canary"), "alive");

const root = join(old, "root");
mountRoot(root, bootConfig({ rootSize: { kind: "bytes", bytes: 64 * 1048576 } }));
for (const d of ["bin", "sbin", "etc"]) mkdirSync(join(root, d));
copyFileSync("/bin/busybox", join(root, "bin/busybox"));
chmodSync(join(root, "bin/busybox"), 0o755);
symlinkSync("busybox", join(root, "bin/sh"));
writeFileSync(join(root, "sbin/init"), initScript);
chmodSync(join(root, "sbin/init"), 0o755);

// Writing through process.stdout makes libuv put the pipe in O_NONBLOCK, as console output in
// PID 1 can: switchRoot must hand init a blocking descriptor.
process.stdout.write("driver: switching\n");

chroot(old);
process.chdir("/");

const timeline = new Timeline();
timeline.start("init");
switchRoot({ newRoot: "/root", init: "/sbin/init", args: initArgs, timeline });
