// What PID 1 needs before anything else can run: the kernel's virtual filesystems and a PATH.
import { mkdirSync } from "node:fs";
import { MS_NODEV, MS_NOEXEC, MS_NOSUID, mount } from "../sys/mount";
import { SysError } from "../sys/libc";

interface EarlyMount {
  source: string;
  target: string;
  fstype: string;
  flags: number;
  data: string | null;
}

export const EARLY_MOUNTS: EarlyMount[] = [
  { source: "proc", target: "/proc", fstype: "proc", flags: MS_NOSUID | MS_NODEV | MS_NOEXEC, data: null },
  { source: "sysfs", target: "/sys", fstype: "sysfs", flags: MS_NOSUID | MS_NODEV | MS_NOEXEC, data: null },
  // Debian's kernel has DEVTMPFS_MOUNT off: without this there is no /dev/vda, /dev/ttyS0, ...
  { source: "devtmpfs", target: "/dev", fstype: "devtmpfs", flags: MS_NOSUID, data: "mode=0755" },
  { source: "devpts", target: "/dev/pts", fstype: "devpts", flags: MS_NOSUID | MS_NOEXEC, data: "gid=5,mode=0620,ptmxmode=000" },
  { source: "tmpfs", target: "/run", fstype: "tmpfs", flags: MS_NOSUID | MS_NODEV, data: "mode=0755" },
];

export function earlyMounts(): void {
  for (const m of EARLY_MOUNTS) {
    mkdirSync(m.target, { recursive: true });
    try {
      mount(m.source, m.target, m.fstype, m.flags, m.data);
    } catch (err) {
      // Already there (a second run, or a kernel that mounted it): fine as it is.
      if (!(err instanceof SysError && err.code === "EBUSY")) throw err;
    }
  }
  process.env.PATH = "/usr/sbin:/usr/bin:/sbin:/bin";
}
