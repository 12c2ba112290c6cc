import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { type DebianKernel, ensureDebianKernel } from "../initramfs/debian-kernel";
import { AliasIndex, globMatch, parseModulesAlias } from "./alias";
import { loadOrder, parseModulesDep, parseModulesSoftdep } from "./deps";

const KERNEL_CACHE = fileURLToPath(new URL("../../build/cache/kernel", import.meta.url));

describe("globMatch (fnmatch semantics)", () => {
  it("handles *, ?, classes, negation, ranges and escapes", () => {
    expect(globMatch("pci:v00008086d*sv*sd*bc02sc00i*", "pci:v00008086d0000100Esv00008086sd0000001Ebc02sc00i00")).toBe(true);
    expect(globMatch("pci:v00008086d*sv*sd*bc02sc00i*", "pci:v00008086d0000100Esv00008086sd0000001Ebc03sc00i00")).toBe(false);
    expect(globMatch("usb:v0B95p1790d*dc*dsc*dp*ic*isc*ip*in*", "usb:v0B95p1790d0100dcFFdsc00dp00icFFiscFFip00in00")).toBe(true);
    expect(globMatch("a?c", "abc")).toBe(true);
    expect(globMatch("a?c", "ac")).toBe(false);
    expect(globMatch("x[0-9A-F]y", "xBy")).toBe(true);
    expect(globMatch("x[!0-9]y", "x5y")).toBe(false);
    expect(globMatch("x[!0-9]y", "xay")).toBe(true);
    expect(globMatch("x[]]y", "x]y")).toBe(true);
    expect(globMatch("a\\*b", "a*b")).toBe(true);
    expect(globMatch("a\\*b", "axb")).toBe(false);
    expect(globMatch("*", "")).toBe(true);
    expect(globMatch("a*b*c", "aXXbYYbZc")).toBe(true);
    expect(globMatch("a*b*c", "aXXbYY")).toBe(false);
  });
});

describe("parseModulesAlias", () => {
  it("takes `alias PATTERN MODULE` lines in order, module names normalized", () => {
    expect(parseModulesAlias("# c\nalias pci:v00001AF4d*sv*sd*bc*sc*i* virtio_pci\nalias x y\n")).toEqual([
      { pattern: "pci:v00001AF4d*sv*sd*bc*sc*i*", module: "virtio_pci" },
      { pattern: "x", module: "y" },
    ]);
    expect(parseModulesAlias("alias\tusb:v1234p*\t xen-netfront\r\nalias  a   b  \n")).toEqual([
      { pattern: "usb:v1234p*", module: "xen_netfront" },
      { pattern: "a", module: "b" },
    ]);
  });

  it("skips lines of any other shape, and aliases `keep` refuses", () => {
    expect(parseModulesAlias("alias a b c\nalias onlyone\naliasx a b\nsoftdep a pre: b\n\nalias ok mod")).toEqual([{ pattern: "ok", module: "mod" }]);
    expect(parseModulesAlias("alias a m1\nalias b m-2\n", (m) => m === "m_2")).toEqual([{ pattern: "b", module: "m_2" }]);
  });
});

describe("against the real Debian kernel's module tree", () => {
  let k: DebianKernel;
  let index: AliasIndex;
  let deps: ReturnType<typeof parseModulesDep>;

  beforeAll(async () => {
    k = await ensureDebianKernel(KERNEL_CACHE);
    const aliases = parseModulesAlias(readFileSync(join(k.modulesDir, "modules.alias"), "utf8"));
    expect(aliases.length).toBeGreaterThan(10_000);
    index = new AliasIndex(aliases);
    deps = parseModulesDep(readFileSync(join(k.modulesDir, "modules.dep"), "utf8"));
  }, 600_000);

  it("finds the driver of the NICs QEMU and real machines have", () => {
    // modalias strings as the kernel writes them for these devices
    expect(index.match("pci:v00001AF4d00001000sv00001AF4sd00000001bc02sc00i00")).toEqual(["virtio_pci"]);
    expect(index.match("virtio:d00000001v00001AF4")).toEqual(["virtio_net"]);
    expect(index.match("pci:v00008086d0000100Esv00008086sd0000001Ebc02sc00i00")).toEqual(["e1000"]);
    expect(index.match("pci:v00008086d000010D3sv00008086sd0000A01Fbc02sc00i00")).toEqual(["e1000e"]);
    expect(index.match("pci:v000010ECd00008168sv00001043sd000085F1bc02sc00i00")).toEqual(["r8169"]);
    expect(index.match("pci:v000015ADd000007B0sv000015ADsd000007B0bc02sc00i00")).toEqual(["vmxnet3"]);
    expect(index.match("pci:v0000FFFFd0000FFFFsv00000000sd00000000bcFFscFFi00")).toEqual([]);
  });

  it("finds exactly what comparing with every glob in order finds, for every device of this machine", () => {
    const aliases = parseModulesAlias(readFileSync(join(k.modulesDir, "modules.alias"), "utf8"));
    const everyGlob = (m: string) => [...new Set(aliases.filter((a) => globMatch(a.pattern, m)).map((a) => a.module))];
    const devices = new Set<string>([
      "pci:v00001AF4d00001000sv00001AF4sd00000001bc02sc00i00",
      "virtio:d00000001v00001AF4",
      "usb:v0BDAp8153d3000dc00dsc00dp00icFFiscFFip00in00",
      // A CDC Ethernet function, matched by class globs that begin with wildcards (usb:v*p*...).
      "usb:v0BDAp8153d3000dc00dsc00dp00ic02isc06ip00in00",
      "acpi:PNP0C0A:",
      "acpi:PNP0A08:PNP0A03:",
      "cpu:type:x86,ven0000fam0006mod003F:feature:,0000,0001,0002",
    ]);
    for (const bus of readdirSync("/sys/bus")) {
      let list: string[] = [];
      try {
        list = readdirSync(`/sys/bus/${bus}/devices`);
      } catch {
        continue;
      }
      for (const d of list) {
        try {
          devices.add(readFileSync(`/sys/bus/${bus}/devices/${d}/modalias`, "utf8").trim());
        } catch {
          // No modalias for this device.
        }
      }
    }
    expect(devices.size).toBeGreaterThan(5);
    let matched = 0;
    for (const m of devices) {
      const want = everyGlob(m);
      if (want.length) matched++;
      expect(index.match(m), m).toEqual(want);
    }
    // Some of them have drivers, or the comparison says little.
    expect(matched).toBeGreaterThan(1);
  });

  it("orders dependencies before the module, deepest first", () => {
    const order = loadOrder("virtio_net", deps);
    expect(order[order.length - 1]).toBe("virtio_net");
    expect(order).toEqual(expect.arrayContaining(["failover", "net_failover"]));
    expect(order.indexOf("failover")).toBeLessThan(order.indexOf("net_failover"));
    for (const m of order) for (const d of deps.get(m)?.deps ?? []) expect(order.indexOf(d)).toBeLessThan(order.indexOf(m));
    const all = [...deps.keys()].filter((m) => m.startsWith("mlx5") || m === "bnxt_en" || m === "ice");
    for (const top of all) {
      const o = loadOrder(top, deps);
      for (const m of o) for (const d of deps.get(m)?.deps ?? []) expect(o.indexOf(d)).toBeLessThan(o.indexOf(m));
    }
  });

  it("reads soft dependencies and loads 'pre' ones first when carried", () => {
    const soft = parseModulesSoftdep(readFileSync(join(k.modulesDir, "modules.softdep"), "utf8"));
    expect(soft.size).toBeGreaterThan(0);
    const [mod, sd] = [...soft.entries()].find(([m, s]) => deps.has(m) && s.pre.some((p) => deps.has(p)))!;
    const pre = sd.pre.find((p) => deps.has(p))!;
    const order = loadOrder(mod, deps, soft);
    expect(order.indexOf(pre)).toBeLessThan(order.indexOf(mod));
  });
});
