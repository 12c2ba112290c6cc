import { statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { type DebianKernel, ensureDebianKernel } from "./debian-kernel";
import { moduleNameFromPath as moduleName } from "../modules/deps";
import { DEFAULT_LINK_MODULES, DEFAULT_NET_DRIVERS, type ModuleTree, loadModuleTree, moduleIndexFiles, moduleTreeFrom, parseNetDrivers, selectModules } from "./modules";

const KERNEL_CACHE = fileURLToPath(new URL("../../build/cache/kernel", import.meta.url));

describe("module selection (pure)", () => {
  it("--net-drivers", () => {
    expect(parseNetDrivers(undefined)).toEqual({ strict: [], lenient: [...DEFAULT_NET_DRIVERS, ...DEFAULT_LINK_MODULES], dirs: [] });
    expect(parseNetDrivers("virtio_net,e1000")).toEqual({ strict: ["virtio_net", "e1000"], lenient: [], dirs: [] });
    expect(parseNetDrivers("default,cxgb4").strict).toEqual(["cxgb4"]);
    expect(parseNetDrivers("all").dirs).toContain("kernel/drivers/net/ethernet/");
    expect(parseNetDrivers("host,e1000")).toEqual({ strict: ["e1000"], lenient: [], dirs: [], host: true });
    expect(() => parseNetDrivers(",")).toThrow(/--net-drivers ',': empty/);
    expect(() => parseNetDrivers("../x")).toThrow(/'\.\.\/x' is not a module name/);
  });

  it("compressed modules keep their names; selection follows deps through them", () => {
    const tree = moduleTreeFrom("6.9.0-test", {
      dep: "kernel/net/nic.ko.zst: kernel/lib/helper.ko.xz\nkernel/lib/helper.ko.xz:\nkernel/other.ko:\n",
      alias: "alias pci:v1234* nic\nalias pci:v9999* other\n",
      builtin: Buffer.from("kernel/net/af_packet.ko\n"),
    });
    const sel = selectModules(tree, { strict: ["nic", "af_packet"], lenient: ["not_here"], dirs: [] });
    expect(sel).toEqual({ modules: ["kernel/net/nic.ko.zst", "kernel/lib/helper.ko.xz"], builtin: ["af_packet"] });
    expect(() => selectModules(tree, { strict: ["not_here"], lenient: [], dirs: [] })).toThrow(/net driver 'not_here' is not in the module tree for 6.9.0-test/);
    const files = Object.fromEntries(moduleIndexFiles(tree, sel.modules).map((f) => [f.path, f.data.toString()]));
    expect(files["modules.dep"]).toBe("kernel/net/nic.ko.zst: kernel/lib/helper.ko.xz\nkernel/lib/helper.ko.xz:\n");
    expect(files["modules.alias"]).toBe("# Aliases extracted from modules themselves.\nalias pci:v1234* nic\n");
    expect(files["modules.builtin"]).toBe("kernel/net/af_packet.ko\n");
  });

  it("softdeps by module or alias name, '-' and '_' alike", () => {
    const tree = moduleTreeFrom("6.9.0-test", {
      dep: "kernel/net/nic.ko:\nkernel/lib/phy-x.ko:\nkernel/crypto/crc_generic.ko:\nkernel/other.ko:\n",
      alias: "alias crypto-crc crc_generic\n",
      softdep: "softdep nic pre: phy_x\nsoftdep nic post: crypto-crc\n",
    });
    const sel = selectModules(tree, { strict: ["nic"], lenient: [], dirs: [] });
    expect(sel.modules).toEqual(["kernel/net/nic.ko", "kernel/lib/phy-x.ko", "kernel/crypto/crc_generic.ko"]);
    const files = Object.fromEntries(moduleIndexFiles(tree, sel.modules).map((f) => [f.path, f.data.toString()]));
    expect(files["modules.softdep"]).toBe("# Soft dependencies extracted from modules themselves.\nsoftdep nic pre: phy_x post: crypto_crc\n");
    expect(files["modules.dep"]).toBe("kernel/net/nic.ko:\nkernel/lib/phy-x.ko:\nkernel/crypto/crc_generic.ko:\n");
  });

  it("a modules.dep error names the file and line", () => {
    expect(() => moduleTreeFrom("6.9.0-test", { dep: "kernel/a.ko:\n\ngarbage\n" }, "/lib/modules/6.9.0-test")).toThrow(
      "/lib/modules/6.9.0-test/modules.dep line 3: no 'module:' in 'garbage'",
    );
  });
});

describe("a real Debian kernel's module tree", () => {
  let kernel: DebianKernel;
  let tree: ModuleTree;
  beforeAll(async () => {
    kernel = await ensureDebianKernel(KERNEL_CACHE);
    tree = loadModuleTree(kernel.modulesDir);
  });

  it("virtio_net brings its modules.dep closure and the virtio PCI transport", () => {
    const virtioNet = tree.modules.get("virtio_net")!;
    expect(virtioNet.path).toBe("kernel/drivers/net/virtio_net.ko");
    expect([...virtioNet.deps].sort()).toEqual(["failover", "net_failover", "virtio", "virtio_ring"]);
    const sel = selectModules(tree, parseNetDrivers("virtio_net"));
    expect(sel.modules.map(moduleName).sort()).toEqual(
      ["failover", "net_failover", "virtio", "virtio_net", "virtio_pci", "virtio_pci_legacy_dev", "virtio_pci_modern_dev", "virtio_ring"],
    );
    // modules.dep order: dependencies after their users, as depmod writes them.
    const where = (n: string) => sel.modules.findIndex((p) => moduleName(p) === n);
    const chosen = sel.modules.map(moduleName);
    for (const n of chosen) for (const d of tree.modules.get(n)!.deps) expect(chosen).toContain(d);
    expect(where("virtio_net")).toBeLessThan(where("net_failover"));
    const files = Object.fromEntries(moduleIndexFiles(tree, sel.modules).map((f) => [f.path, f.data.toString()]));
    expect(files["modules.alias"]).toMatch(/^alias virtio:d00000001v\* virtio_net$/m);
    expect(files["modules.alias"]).toMatch(/^alias pci:v00001AF4d\*sv\*sd\*bc\*sc\*i\* virtio_pci$/m);
    expect(files["modules.alias"]).not.toMatch(/ e1000$/m);
    expect(files["modules.dep"].trim().split("\n")).toHaveLength(8);
    expect(files["modules.builtin"].length).toBeGreaterThan(1000);
    expect(files["modules.builtin.modinfo"]).toContain("\0");
  });

  it("r8169 gets its PHY driver (softdep) and the PHY drivers phylib loads by alias", () => {
    const names = selectModules(tree, parseNetDrivers("r8169")).modules.map(moduleName);
    expect(names).toContain("realtek");
    expect(names).toContain("libphy");
    expect(names).toContain("broadcom");
  });

  it("the default set: every present driver, closed under modules.dep, a few MB", () => {
    const sel = selectModules(tree, parseNetDrivers(undefined));
    const names = new Set(sel.modules.map(moduleName));
    for (const d of DEFAULT_NET_DRIVERS) expect(names.has(d.replace(/-/g, "_"))).toBe(true);
    // vlan= needs 8021q and its 802 protocol helpers.
    for (const m of ["8021q", "garp", "mrp", "stp", "llc"]) expect(names.has(m)).toBe(true);
    // bond= needs bonding, which needs tls.
    for (const m of ["bonding", "tls"]) expect(names.has(m)).toBe(true);
    // bridge= needs bridge (whose stp and llc 8021q brings too).
    expect(names.has("bridge")).toBe(true);
    const selected = sel.modules.map(moduleName);
    for (const n of selected) for (const d of tree.modules.get(n)!.deps) expect(selected).toContain(d);
    const bytes = sel.modules.reduce((sum, p) => sum + statSync(join(kernel.modulesDir, p)).size, 0);
    // Measured on 6.1.0-56-amd64: 81 modules, 21.9 MB unpacked, 4.4 MB as zstd -19 (all: 229, 42.5 MB, 8.3 MB).
    expect(bytes).toBeLessThan(32 << 20);
    const all = selectModules(tree, parseNetDrivers("all"));
    expect(all.modules.length).toBeGreaterThan(sel.modules.length);
    expect(() => selectModules(tree, parseNetDrivers("no_such_nic"))).toThrow(/net driver 'no_such_nic' is not in the module tree for 6\.1\.0-/);
    expect(selectModules(tree, parseNetDrivers("af_packet")).builtin).toEqual(["af_packet"]);
  });
});
