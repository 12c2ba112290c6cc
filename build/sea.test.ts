import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { cutZeroRange } from "./elf-gap.mjs";
import { writeSeaExecutable } from "./sea.mjs";

// The build's own steps (English ICU, strip, postject, the zeroed ICU bytes cut out) applied to the
// pinned Node 24 with a small script instead of the init: the result must still run, and ICU must
// still work from the part of its data that is left.
const dir = mkdtempSync(join(tmpdir(), "sea-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const script = `process.stdout.write(JSON.stringify([
  new Intl.DateTimeFormat("en", { month: "long", timeZone: "UTC" }).format(new Date(9e8)),
  new Intl.DateTimeFormat("de", { month: "long", timeZone: "UTC" }).format(new Date(9e8)),
  (1234567.5).toLocaleString("en"),
  ["b", "\\u00e4", "a"].sort((x, y) => x.localeCompare(y)).join(""),
  "e\\u0301".normalize("NFC").length,
  new Intl.NumberFormat("en", { style: "unit", unit: "megabyte" }).format(3),
  [...new Intl.Segmenter("en", { granularity: "word" }).segment("hi there")].length,
  new TextDecoder("utf-16le").decode(Buffer.from("ok", "utf16le")),
  new URL("http://b\\u00fccher.example/").host,
  new Date(0).toString(),
]));`;

describe("the SEA executable", () => {
  const exe = join(dir, "sea");

  it("runs, with ICU in English, from a file ~29 MB smaller than Node's", () => {
    writeFileSync(join(dir, "main.cjs"), script);
    writeFileSync(join(dir, "sea.json"), JSON.stringify({ main: join(dir, "main.cjs"), output: join(dir, "blob"), disableExperimentalSEAWarning: true }));
    execFileSync(process.execPath, ["--experimental-sea-config", join(dir, "sea.json")], { stdio: "ignore" });
    writeSeaExecutable(process.execPath, join(dir, "blob"), exe);
    const out = JSON.parse(execFileSync(exe, { encoding: "utf8", env: { TZ: "UTC" } }));
    expect(out).toEqual([
      "January",
      "January",
      "1,234,567.5",
      "a\u00e4b",
      1,
      "3 MB",
      3,
      "ok",
      "xn--bcher-kva.example",
      "Thu Jan 01 1970 00:00:00 GMT+0000 (Coordinated Universal Time)",
    ]);
    // Stripping alone takes ~18 MB off; the English ICU subset's zeroed tail is ~29 MB more.
    expect(statSync(process.execPath).size - statSync(exe).size).toBeGreaterThan(40e6);
  }, 120_000);

  it("refuses to cut a range that is not zeros", () => {
    const elf = readFileSync(exe);
    // The start of .rodata (Node 24's layout): constants, not zeros.
    expect(() => cutZeroRange(elf, 0x3201000, 0x3201000 + 0x10000)).toThrow(/is not zero/);
  });
});
