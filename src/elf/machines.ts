// ELF machine numbers (e_machine) and which of them the running kernel executes.

export const ELF_MACHINES: Record<number, string> = {
  3: "i386",
  8: "mips",
  20: "powerpc",
  21: "ppc64",
  22: "s390",
  40: "arm",
  62: "x86_64",
  183: "aarch64",
  243: "riscv",
  258: "loongarch",
};

/** Machines the running kernel executes natively or in its compat mode, per Node's arch. */
const RUNNABLE: Record<string, number[]> = {
  x64: [62, 3],
  arm64: [183, 40],
  ia32: [3],
  arm: [40],
  riscv64: [243],
  ppc64: [21],
  s390x: [22],
  loong64: [258],
};

/** null when the arch is not one tarboot knows: then the check is left to the kernel. */
export function runsHere(machine: number, arch: string = process.arch): boolean | null {
  const ok = RUNNABLE[arch];
  return ok ? ok.includes(machine) : null;
}
