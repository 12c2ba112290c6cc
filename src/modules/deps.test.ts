import { describe, expect, it } from "vitest";
import { loadOrder, moduleNameFromPath, parseModulesBuiltin, parseModulesDep, parseModulesSoftdep } from "./deps";

describe("module names", () => {
  it("no directory, no .ko*, '-' as '_'", () => {
    expect(moduleNameFromPath("kernel/drivers/net/xen-netfront.ko")).toBe("xen_netfront");
    expect(moduleNameFromPath("kernel/drivers/net/ethernet/intel/e1000e/e1000e.ko.zst")).toBe("e1000e");
    expect(moduleNameFromPath("updates/dkms/foo-bar.ko.xz")).toBe("foo_bar");
    expect(moduleNameFromPath("kernel/lib/crc-t10dif.ko.gz")).toBe("crc_t10dif");
  });
});

describe("parseModulesDep", () => {
  it("modules in file order, their dependencies as names", () => {
    const dep = parseModulesDep("a/x.ko: b/y.ko.xz c/z.ko\nb/y.ko.xz:\n\nc/z.ko:\n");
    expect([...dep.values()].map((m) => m.path)).toEqual(["a/x.ko", "b/y.ko.xz", "c/z.ko"]);
    expect(dep.get("x")).toEqual({ name: "x", path: "a/x.ko", deps: ["y", "z"] });
    expect(dep.get("z")?.deps).toEqual([]);
  });

  it("skips comments and blank lines, takes tabs and CRLF", () => {
    const dep = parseModulesDep("# made by hand: yes\n\n   \nk/a.ko:\tk/b.ko  k/c.ko\r\nk/b.ko:\r\n");
    expect([...dep.keys()]).toEqual(["a", "b"]);
    expect(dep.get("a")?.deps).toEqual(["b", "c"]);
  });

  it("any other line without 'module:' is an error naming the file and line", () => {
    expect(() => parseModulesDep("garbage\n")).toThrow(/modules.dep line 1/);
    expect(() => parseModulesDep("k/a.ko:\n: k/b.ko\n", "/x/modules.dep")).toThrow("/x/modules.dep line 2: no 'module:' in ': k/b.ko'");
  });
});

describe("parseModulesSoftdep", () => {
  it("pre: and post: lists, names normalized", () => {
    const soft = parseModulesSoftdep("softdep r8169 pre: realtek\nsoftdep vfio post: a b\nsoftdep m pre: p1 post: q1\nsoftdep ext4 pre: crypto-crc32c\n");
    expect(soft.get("r8169")).toEqual({ pre: ["realtek"], post: [] });
    expect(soft.get("vfio")).toEqual({ pre: [], post: ["a", "b"] });
    expect(soft.get("m")).toEqual({ pre: ["p1"], post: ["q1"] });
    expect(soft.get("ext4")).toEqual({ pre: ["crypto_crc32c"], post: [] });
  });

  it("names before any pre:/post: belong to neither list, as kmod reads them", () => {
    // Debian 6.1's cifs has such lines (MODULE_SOFTDEP("gcm")); modprobe ignores them.
    const soft = parseModulesSoftdep("softdep cifs gcm\nsoftdep cifs ccm\n");
    expect(soft.get("cifs")).toEqual({ pre: [], post: [] });
  });

  it("one module's lines add up", () => {
    const soft = parseModulesSoftdep("softdep ksmbd pre: crc32\nsoftdep ksmbd pre: gcm\nsoftdep ksmbd-x post: a\nsoftdep ksmbd_x post: b\n");
    expect(soft.get("ksmbd")).toEqual({ pre: ["crc32", "gcm"], post: [] });
    expect(soft.get("ksmbd_x")).toEqual({ pre: [], post: ["a", "b"] });
  });
});

describe("parseModulesBuiltin", () => {
  it("names of the modules built into the kernel", () => {
    expect([...parseModulesBuiltin("kernel/net/packet/af_packet.ko\n\nkernel/drivers/net/xen-netfront.ko\n")]).toEqual(["af_packet", "xen_netfront"]);
  });
});

describe("loadOrder on a small tree", () => {
  const deps = parseModulesDep(
    [
      "kernel/a.ko: kernel/b.ko kernel/c.ko",
      "kernel/b.ko: kernel/c.ko",
      "kernel/c.ko:",
      "kernel/x-y.ko.xz: kernel/missing.ko",
    ].join("\n"),
  );

  it("normalises names and keeps each module once", () => {
    expect(loadOrder("a", deps)).toEqual(["c", "b", "a"]);
    expect(deps.get("x_y")?.path).toBe("kernel/x-y.ko.xz");
  });

  it("keeps unknown hard dependencies in the order so the caller can report them", () => {
    expect(loadOrder("x_y", deps)).toEqual(["missing", "x_y"]);
  });

  it("skips unknown soft dependencies", () => {
    const soft = parseModulesSoftdep("softdep a pre: nothere c post: b\n");
    expect(loadOrder("a", deps, soft)).toEqual(["c", "b", "a"]);
  });
});
