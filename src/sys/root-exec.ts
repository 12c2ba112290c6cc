// What execve(2) keeps from Node that the next init must not inherit. Ignored signals survive
// exec (Node ignores SIGPIPE and SIGXFSZ, so a sysvinit or busybox init and every service it
// starts would ignore them too), so does the signal mask, and so does O_NONBLOCK on the console
// descriptors (libuv sets it on pipes), which makes a shell's reads fail with EAGAIN.
import { koffi, libc } from "./libc";

const signal_ = libc.func("void *signal(int signum, void *handler)");
const sigprocmask_ = libc.func("int sigprocmask(int how, const uint8_t *set, uint8_t *oldset)");
const fcntl_ = libc.func("int fcntl(int fd, int cmd, ...)");

const SIG_SETMASK = 2;
const SIGKILL = 9;
const SIGSTOP = 19;
const F_GETFL = 3;
const F_SETFL = 4;
// 04000 on x86, arm, arm64, riscv, s390, powerpc: every architecture tarboot is built for.
const O_NONBLOCK = 0o4000;
// glibc's sigset_t is 1024 bits.
const SIGSET_BYTES = 128;

/** Puts signals and stdio back the way the kernel hands them to an init. Errors are ignored: exec follows. */
export function resetForExec(): void {
  for (let sig = 1; sig < 32; sig++) {
    if (sig === SIGKILL || sig === SIGSTOP) continue;
    signal_(sig, null); // SIG_DFL is the null handler
  }
  sigprocmask_(SIG_SETMASK, Buffer.alloc(SIGSET_BYTES), null);
  for (let fd = 0; fd <= 2; fd++) {
    const flags = fcntl_(fd, F_GETFL) as number;
    if (flags >= 0 && flags & O_NONBLOCK) fcntl_(fd, F_SETFL, "int", flags & ~O_NONBLOCK);
  }
}

export { koffi };
