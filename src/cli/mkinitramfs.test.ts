import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { bundleHost } from "../../build/bundle.mjs";
import { ensureNode24 } from "../../build/node24.mjs";
import { DEFAULT_INIT, DEFAULT_OUTPUT, firmwareSummary, optionsFromArgv } from "./mkinitramfs";

const repo = fileURLToPath(new URL("../../", import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), "tarboot-mkinitramfs-cli-"));
// Inside the repository, so the bundle's external packages resolve from node_modules.
const cli = join(repo, "build/cache/run", `mkinitramfs-test-${process.pid}.cjs`);
afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
  rmSync(cli, { force: true });
});

describe("mkinitramfs options", () => {
  it("defaults and repeatable options", () => {
    expect(optionsFromArgv([])).toEqual({
      init: DEFAULT_INIT, output: DEFAULT_OUTPUT, kernelModules: undefined, netDrivers: undefined, moduleCompression: "zstd", firmware: undefined, busybox: undefined, ca: undefined, keys: [],
      add: [], set: [], hooks: undefined, needs: [], compress: "zstd", level: undefined,
    });
    const o = optionsFromArgv(["--init", "/x/init", "-o", "/x/img", "--kernel-modules", "none", "--set", "a=1", "--set", "b=2 3",
      "--needs", "/a.node", "--needs", "/b.node", "--add", "/h:/i", "--compress", "xz", "--level", "9", "--net-drivers", "default,cxgb4",
      "--module-compression", "none", "--firmware", "none"]);
    expect(o).toMatchObject({ firmware: false });
    expect(optionsFromArgv(["--firmware", "/srv/fw"])).toMatchObject({ firmware: "/srv/fw" });
    expect(o).toMatchObject({ init: "/x/init", output: "/x/img", kernelModules: false, set: ["a=1", "b=2 3"], needs: ["/a.node", "/b.node"], add: ["/h:/i"], compress: "xz", level: 9, netDrivers: "default,cxgb4", moduleCompression: "none" });
    expect(optionsFromArgv(["--help"])).toEqual({ help: true });
  });

  it("sums up the firmware per module, not per file", () => {
    expect(firmwareSummary(1, new Map(), "/lib/firmware")).toBe("1 file");
    expect(firmwareSummary(0, new Map([["bnx2", ["a", "b", "c"]], ["tg3", ["t"]]]), "/lib/firmware")).toBe(
      "0 files; not in /lib/firmware, so those NICs may not come up: bnx2 (3), tg3 (1) (install the firmware packages, or --firmware DIR)",
    );
  });

  it("rejects bad options before any work", () => {
    expect(() => optionsFromArgv(["--compress", "lz4"])).toThrow(/--compress lz4: expected one of zstd, xz, gzip/);
    expect(() => optionsFromArgv(["--level", "20"])).toThrow(/--level compression level 20 for zstd: expected 1\.\.19/);
    expect(() => optionsFromArgv(["--compress", "gzip", "--level", "0"])).toThrow(/level 0 for gzip: expected 1\.\.9/);
    expect(() => optionsFromArgv(["--level", "high"])).toThrow(/--level high: expected a whole number/);
    expect(() => optionsFromArgv(["--set", "quiet"])).toThrow(/--set 'quiet': expected KEY=VALUE/);
    expect(() => optionsFromArgv(["--add", "nocolon"])).toThrow(/--add 'nocolon'/);
    expect(() => optionsFromArgv(["--net-drivers", "a/b"])).toThrow(/'a\/b' is not a module name/);
    expect(() => optionsFromArgv(["extra"])).toThrow(/unexpected argument 'extra'/);
    expect(() => optionsFromArgv(["--module-compression", "xz"])).toThrow(/--module-compression xz: expected zstd or none/);
    expect(() => optionsFromArgv(["--frobnicate"])).toThrow(/--frobnicate/);
  });
});

describe("tarboot mkinitramfs, bundled and run as users run it", () => {
  const run = (args: string[]) => spawnSync(ensureNode24(), [cli, "mkinitramfs", ...args], { encoding: "utf8", cwd: tmp });

  it("builds and prints a summary; errors go to stderr with a non-zero status", async () => {
    await bundleHost(join(repo, "src/cli/main.ts"), cli);
    const out = join(tmp, "out", "initramfs.img");
    // /bin/true needs the loader and libc; libzstd, liblzma and libbz2 are what the init opens by name.
    const ok = run(["--init", "/bin/true", "-o", out, "--kernel-modules", "none", "--set", "tarboot.retries=2"]);
    expect(ok.stderr).toBe("");
    expect(ok.status).toBe(0);
    expect(ok.stdout).toMatch(/^wrote .*initramfs\.img\n {2}files: +\d+\n {2}unpacked: +[\d.]+ [KM]iB\n {2}compressed: +[\d.]+ [KM]iB \(zstd\)\n {2}libraries: +5\n {2}modules: +none\n$/);
    expect(readFileSync(out).subarray(0, 4).toString("hex")).toBe("28b52ffd");

    const help = run(["--help"]);
    expect(help.status).toBe(0);
    expect(help.stdout).toContain("--kernel-modules DIR");

    const badSet = run(["--set", "quiet"]);
    expect(badSet.status).toBe(2);
    expect(badSet.stderr).toMatch(/^tarboot mkinitramfs: --set 'quiet': expected KEY=VALUE/);

    const noInit = run([]);
    expect(noInit.status).toBe(1);
    expect(noInit.stderr).toMatch(/--init build\/out\/init: no such file \(build it first/);

    const noTree = run(["--init", "/bin/true", "-o", out, "--kernel-modules", join(tmp, "none-here")]);
    expect(noTree.status).toBe(1);
    expect(noTree.stderr).toMatch(/--kernel-modules .*none-here: no such directory/);
  }, 120_000);
});
