// The shipped executable as a host tool: `init extract FILE DIR` unpacks with the same code the
// boot runs, and writes its native addon once, under a name taken from the addon's content.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NATIVE_ASSETS } from "../build/bundle.mjs";
import { type Artifacts, QEMU_OUT, loadArtifacts } from "./lib/artifacts";
import { makeRootTarball } from "./lib/testroot";

let art: Artifacts;
let dir: string;

beforeAll(() => {
  art = loadArtifacts();
  dir = mkdtempSync(join(QEMU_OUT, "host-extract-"));
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("init extract on a host", () => {
  it("unpacks a .tar.zst and keeps its addon in a file named by the addon's content", () => {
    const tarball = makeRootTarball(join(dir, "layer.tar.zst"), { files: { "etc/hello": "hello\n" } });
    const native = join(dir, "native");
    const env = { ...process.env, TARBOOT_NATIVE_DIR: native };
    const run = (target: string) =>
      execFileSync(art.init, ["extract", tarball, target], { env, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
    const first = join(dir, "one");
    const second = join(dir, "two");
    for (const d of [first, second]) execFileSync("mkdir", ["-p", d]);
    run(first);
    expect(readFileSync(join(first, "etc/hello"), "utf8")).toBe("hello\n");

    const koffi = readFileSync(NATIVE_ASSETS["koffi.node"]);
    const name = `${createHash("sha256").update(koffi).digest("hex").slice(0, 16)}-koffi.node`;
    expect(readdirSync(native)).toEqual([name]);
    expect(readFileSync(join(native, name)).equals(koffi)).toBe(true);

    // The second run finds the file and does not write it again.
    const written = statSync(join(native, name)).mtimeMs;
    run(second);
    expect(readFileSync(join(second, "etc/hello"), "utf8")).toBe("hello\n");
    expect(readdirSync(native)).toEqual([name]);
    expect(statSync(join(native, name)).mtimeMs).toBe(written);
  });
});
