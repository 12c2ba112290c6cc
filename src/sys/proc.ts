// Process-level calls PID 1 needs: changing root, naming the host, reaping, rebooting.
import { check, koffi, libc } from "./libc";

const chroot_ = libc.func("int chroot(const char *path)");
const sethostname_ = libc.func("int sethostname(const char *name, size_t len)");
const waitpid_ = libc.func("int waitpid(int pid, _Out_ int *status, int options)");
const reboot_ = libc.func("int reboot(int cmd)");
const sync_ = libc.func("void sync(void)");

export const WNOHANG = 1;
export const RB_AUTOBOOT = 0x01234567;
export const RB_POWER_OFF = 0x4321fedc;

export function chroot(path: string): void {
  check(chroot_(path), "chroot", path);
}

export function sethostname(name: string): void {
  const bytes = Buffer.byteLength(name);
  check(sethostname_(name, bytes), "sethostname", name);
}

/** Non-blocking reap: returns [pid, status] of one exited child, or null when none is waiting. */
export function reapOne(): [number, number] | null {
  const status = [0];
  const pid = waitpid_(-1, status, WNOHANG);
  if (pid <= 0) return null;
  return [pid, status[0]];
}

/** Waits on the thread pool, so the event loop (lease renewal, console) keeps running. */
export function waitpidAsync(pid: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const status = [0];
    waitpid_.async(pid, status, 0, (err: Error | null, ret: number) => {
      if (err) return reject(err);
      if (ret < 0) return reject(new Error(`waitpid(${pid}) failed`));
      resolve(status[0]);
    });
  });
}

export function reboot(cmd: number): void {
  sync_();
  check(reboot_(cmd), "reboot");
}

export { koffi };

const waitid_ = libc.func("int waitid(int idtype, int id, _Inout_ uint8_t *infop, int options)");
const P_ALL = 0;
const WEXITED = 4;
const WNOWAIT = 0x01000000;
// siginfo_t is 128 bytes on Linux; for SIGCHLD si_pid sits at offset 16 on 64-bit ABIs.
const SIGINFO_SIZE = 128;
const SI_PID_OFFSET = 16;

/** The pid of some exited child, left unreaped (WNOWAIT), or 0 when none has exited. */
export function peekExitedChild(): number {
  const info = Buffer.alloc(SIGINFO_SIZE);
  const ret = waitid_(P_ALL, 0, info, WEXITED | WNOHANG | WNOWAIT);
  if (ret < 0) return 0; // ECHILD: no children at all
  return info.readInt32LE(SI_PID_OFFSET);
}

/** Reaps one specific child without blocking; returns whether it was reaped. */
export function reap(pid: number): boolean {
  const status = [0];
  return waitpid_(pid, status, WNOHANG) === pid;
}

const prctl_ = libc.func("int prctl(int option, unsigned long arg2, unsigned long arg3, unsigned long arg4, unsigned long arg5)");
const PR_SET_CHILD_SUBREAPER = 36;

/** Orphans of descendants come to this process, as they come to PID 1 (for running the reaper outside PID 1). */
export function becomeSubreaper(): void {
  check(prctl_(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0), "prctl(PR_SET_CHILD_SUBREAPER)");
}
