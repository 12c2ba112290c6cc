import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { BootError } from "../console/errors";
import { loadModuleByName } from "./by-name";

const dir = mkdtempSync(join(tmpdir(), "tarboot-by-name-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// 8021q's closure as Debian's 6.1 modules.dep lists it.
const DEP = [
  "kernel/net/8021q/8021q.ko.zst: kernel/net/802/garp.ko.zst kernel/net/802/mrp.ko.zst kernel/net/802/stp.ko.zst kernel/net/llc/llc.ko.zst",
  "kernel/net/802/garp.ko.zst: kernel/net/802/stp.ko.zst kernel/net/llc/llc.ko.zst",
  "kernel/net/802/mrp.ko.zst:",
  "kernel/net/802/stp.ko.zst: kernel/net/llc/llc.ko.zst",
  "kernel/net/llc/llc.ko.zst:",
].join("\n");

function tree(o: { carry?: string[]; builtin?: string; proc?: string } = {}): { modulesDir: string; procModules: string } {
  const modulesDir = mkdtempSync(join(dir, "lib-"));
  writeFileSync(join(modulesDir, "modules.dep"), `${DEP}\n`);
  writeFileSync(join(modulesDir, "modules.builtin"), o.builtin ?? "");
  for (const f of o.carry ?? DEP.split("\n").map((l) => l.split(":")[0])) {
    mkdirSync(join(modulesDir, f, ".."), { recursive: true });
    writeFileSync(join(modulesDir, f), "");
  }
  const procModules = join(modulesDir, "proc-modules");
  writeFileSync(procModules, o.proc ?? "");
  return { modulesDir, procModules };
}

function recorder(fail?: string) {
  const calls: string[] = [];
  const params: Record<string, string> = {};
  const loadModule = async (file: string, name: string, p: string) => {
    expect(file.endsWith(".ko.zst")).toBe(true);
    if (name === fail) throw new Error("finit_module: Exec format error (ENOEXEC)");
    calls.push(name);
    params[name] = p;
    return "loaded" as const;
  };
  return { calls, params, loadModule };
}

describe("loadModuleByName", () => {
  it("loads the dependencies first, each once, then the module", async () => {
    const r = recorder();
    const loaded = await loadModuleByName("8021q", "vlan=", { ...tree(), loadModule: r.loadModule });
    expect(r.calls).toEqual(["llc", "stp", "mrp", "garp", "8021q"]);
    expect(loaded).toEqual(r.calls);
  });

  it("gives the parameters to the named module only", async () => {
    const r = recorder();
    await loadModuleByName("8021q", "vlan=", { ...tree(), params: "gvrp=1", loadModule: r.loadModule });
    expect(r.params).toEqual({ llc: "", stp: "", mrp: "", garp: "", "8021q": "gvrp=1" });
  });

  it("skips what the kernel has: loaded modules and built-in ones", async () => {
    const r = recorder();
    expect(await loadModuleByName("8021q", "vlan=", { ...tree({ proc: "llc 16384 1 stp, Live 0x0\nstp 16384 0 - Live 0x0\n" }), loadModule: r.loadModule })).toEqual([
      "mrp",
      "garp",
      "8021q",
    ]);
    const none = recorder();
    expect(await loadModuleByName("8021q", "vlan=", { ...tree({ builtin: "kernel/net/8021q/8021q.ko\n" }), loadModule: none.loadModule })).toEqual([]);
    expect(await loadModuleByName("8021q", "vlan=", { ...tree({ proc: "8021q 40960 0 - Live 0x0\n" }), loadModule: none.loadModule })).toEqual([]);
    expect(none.calls).toEqual([]);
  });

  it("names a module the image does not carry, and how to add it", async () => {
    const missing = tree({ carry: ["kernel/net/8021q/8021q.ko.zst"] });
    const r = recorder();
    const err = await loadModuleByName("8021q", "vlan=", { ...missing, loadModule: r.loadModule }).catch((e) => e);
    expect(err).toBeInstanceOf(BootError);
    expect(err.message).toBe(
      `vlan= needs the kernel module llc (needed by 8021q), which the initramfs does not carry (${missing.modulesDir}); build it with tarboot mkinitramfs --net-drivers default,8021q`,
    );
    expect(r.calls).toEqual([]);
    const unknown = await loadModuleByName("bonding", "bond=", { ...tree(), loadModule: r.loadModule }).catch((e) => e);
    expect(unknown.message).toMatch(/^bond= needs the kernel module bonding, which the initramfs does not carry/);
  });

  it("names the module that failed to load", async () => {
    const r = recorder("mrp");
    const err = await loadModuleByName("8021q", "vlan=", { ...tree(), loadModule: r.loadModule }).catch((e) => e);
    expect(err.message).toBe("vlan=: cannot load the kernel module mrp (needed by 8021q): finit_module: Exec format error (ENOEXEC)");
    expect(r.calls).toEqual(["llc", "stp"]);
  });
});
