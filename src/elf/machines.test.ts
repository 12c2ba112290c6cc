import { describe, expect, it } from "vitest";
import { ELF_MACHINES, runsHere } from "./machines";

describe("runsHere", () => {
  it("knows which machines this kernel runs", () => {
    expect(runsHere(62, "x64")).toBe(true);
    expect(runsHere(3, "x64")).toBe(true);
    expect(runsHere(183, "x64")).toBe(false);
    expect(runsHere(62, "mips")).toBeNull();
    expect(ELF_MACHINES[183]).toBe("aarch64");
  });
});
