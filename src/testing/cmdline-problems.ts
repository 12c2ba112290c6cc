// For the grammar's tests: the problems a value parser reports, or a failure if it accepted the value.
import { expect } from "vitest";
import { Invalid } from "../cmdline/errors";

export function problems(f: () => unknown): string[] {
  try {
    f();
  } catch (err) {
    expect(err).toBeInstanceOf(Invalid);
    return (err as Invalid).problems;
  }
  throw new Error("did not throw");
}
