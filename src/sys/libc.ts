// The one place that opens libc. Every binding in src/sys/ declares its functions on `libc`
// and turns a -1 return into a SysError carrying errno and the path or name at fault.
import koffi from "koffi";
import { constants } from "node:os";

export { koffi };
export const libc = koffi.load("libc.so.6");

const errnoNames = new Map<number, string>();
for (const [name, num] of Object.entries(constants.errno)) errnoNames.set(num as number, name);

export function errnoName(errno: number): string {
  return errnoNames.get(errno) ?? `errno ${errno}`;
}

export class SysError extends Error {
  readonly errno: number;
  readonly code: string;
  readonly syscall: string;
  readonly target: string | undefined;

  constructor(syscall: string, errno: number, target?: string) {
    const code = errnoName(errno);
    super(`${syscall}(${target ?? ""}): ${code} (${describe(errno)})`);
    this.name = "SysError";
    this.errno = errno;
    this.code = code;
    this.syscall = syscall;
    this.target = target;
  }
}

const strerror = libc.func("const char *strerror(int errnum)");
/** strerror's text for `errno`. */
export function describe(errno: number): string {
  return String(strerror(errno));
}

/** Returns `ret` unless it is negative, in which case errno is read and thrown as a SysError. */
export function check(ret: number, syscall: string, target?: string): number {
  if (ret < 0) throw new SysError(syscall, koffi.errno(), target);
  return ret;
}
