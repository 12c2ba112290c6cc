import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readOptional, salvagePanic } from "./config";

describe("readOptional (/etc/tarboot.conf)", () => {
  it("is empty when the file is not there, and an error naming it when it cannot be read", () => {
    const dir = mkdtempSync(join(tmpdir(), "tarboot-conf-"));
    try {
      expect(readOptional(join(dir, "tarboot.conf"))).toBe("");
      expect(() => readOptional(dir)).toThrow(`${dir}: cannot read the baked-in parameters: EISDIR`);
    } finally {
      rmSync(dir, { recursive: true });
    }
  });
});

describe("salvagePanic", () => {
  it("finds panic= on a command line whose other parameters are malformed", () => {
    expect(salvagePanic({ cmdline: "console=ttyS0 panic=-1 rootsize=banana ip=1.2.3 root=http://x/a.tar" })).toBe(-1);
    expect(salvagePanic({ cmdline: "panic=5 panic=12 rootsize=banana" })).toBe(12);
  });

  it("lets the command line override the baked-in default, as the full parse does", () => {
    expect(salvagePanic({ cmdline: "rootsize=banana", defaults: "panic=60\n" })).toBe(60);
    expect(salvagePanic({ cmdline: "rootsize=banana panic=3", defaults: "panic=60\n" })).toBe(3);
  });

  it("gives nothing for an absent or malformed panic=", () => {
    expect(salvagePanic({ cmdline: "rootsize=banana" })).toBeUndefined();
    expect(salvagePanic({ cmdline: "panic=soon rootsize=banana" })).toBeUndefined();
  });
});
