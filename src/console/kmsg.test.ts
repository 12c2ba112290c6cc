import { appendFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { kmsgText, recentKernelLines } from "./kmsg";

describe("kmsgText", () => {
  it("takes the text after the header, without the dictionary lines", () => {
    expect(kmsgText("3,1234,567890,-;bond0: option mode: unable to set because the bond device has slaves\n SUBSYSTEM=net\n DEVICE=n5\n")).toBe(
      "bond0: option mode: unable to set because the bond device has slaves",
    );
    expect(kmsgText("6,1,2,c,caller=T1;text\n")).toBe("text");
    expect(kmsgText("not a record")).toBeUndefined();
  });
});

describe("recentKernelLines", () => {
  it("finds the lines just written to the kernel log, the last ones only", () => {
    // Writing /dev/kmsg needs root, as every test that makes devices or namespaces here.
    const marker = `tarboot-kmsg-test-${process.pid}-${Date.now()}`;
    for (const n of [1, 2, 3]) appendFileSync("/dev/kmsg", `<6>${marker} line ${n}\n`);
    expect(recentKernelLines((t) => t.includes(marker))).toEqual([`${marker} line 2`, `${marker} line 3`]);
    expect(recentKernelLines((t) => t.includes(marker), 5)).toHaveLength(3);
    expect(recentKernelLines(() => true, 2, "/nonexistent/kmsg")).toEqual([]);
  });
});
