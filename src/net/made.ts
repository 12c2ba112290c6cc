// After the kernel makes a VLAN, bond or bridge: what its refusal means, and the interface it made.
import { BootError, describeError } from "../console/errors";
import { SysError } from "../sys/libc";
import { type NetInterface, readInterface, SYS_CLASS_NET } from "./links";

/** What the kernel's refusal to make `name` means for an operator; `support` is what EOPNOTSUPP says it lacks. */
export function linkRefusal(err: unknown, name: string, support: string): string {
  if (err instanceof SysError && err.code === "EEXIST") return `an interface named ${name} exists already`;
  if (err instanceof SysError && err.code === "EOPNOTSUPP") return `the kernel has no ${support}`;
  return describeError(err);
}

/** The interface the kernel just made, read back from sysfs. */
export function madeInterface(param: string, name: string): NetInterface {
  const made = readInterface(name);
  if (!made) throw new BootError("network", `${param}: the kernel made ${name}, but it is not in ${SYS_CLASS_NET}`);
  return made;
}
