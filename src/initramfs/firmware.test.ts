import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ElfError } from "../elf";
import { sectionBytes } from "../elf/sections";
import { type DebianKernel, ensureDebianKernel } from "./debian-kernel";
import { findFirmware, modinfoFirmware } from "./firmware";

const KERNEL_CACHE = fileURLToPath(new URL("../../build/cache/kernel", import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), "tarboot-fw-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe("modinfo firmware= of real Debian modules", () => {
  let kernel: DebianKernel;
  beforeAll(async () => {
    kernel = await ensureDebianKernel(KERNEL_CACHE);
  }, 600_000);

  it("lists what modinfo(8) lists, for drivers with and without firmware", () => {
    const eth = join(kernel.modulesDir, "kernel/drivers/net/ethernet");
    for (const rel of ["broadcom/bnx2.ko", "broadcom/bnx2x/bnx2x.ko", "broadcom/tg3.ko", "realtek/r8169.ko", "intel/ice/ice.ko", "intel/e1000e/e1000e.ko"]) {
      const file = join(eth, rel);
      const want = execFileSync("modinfo", ["-F", "firmware", file], { encoding: "utf8" }).split("\n").filter(Boolean);
      expect(modinfoFirmware(readFileSync(file)), rel).toEqual(want);
    }
    expect(modinfoFirmware(readFileSync(join(eth, "broadcom/bnx2.ko")))).toContain("bnx2/bnx2-mips-09-6.2.1b.fw");
  });

  it("finds sections by name, and says when the bytes are not ELF or are cut short", () => {
    const ko = readFileSync(join(kernel.modulesDir, "kernel/drivers/net/ethernet/broadcom/bnx2.ko"));
    expect(sectionBytes(ko, ".modinfo")?.toString("latin1")).toContain("license=GPL");
    expect(sectionBytes(ko, ".no-such-section")).toBeNull();
    expect(() => sectionBytes(Buffer.from("not elf at all, not at all"), ".modinfo")).toThrow(ElfError);
    expect(() => sectionBytes(ko.subarray(0, 4096), ".modinfo")).toThrow(/cut short/);
  });
});

describe("finding firmware where the kernel looks", () => {
  it("takes updates/VERSION, updates, VERSION, then the directory; plain before .zst before .xz; reports the rest", () => {
    const dir = join(tmp, "fw");
    const put = (rel: string, text: string) => {
      mkdirSync(join(dir, rel, ".."), { recursive: true });
      writeFileSync(join(dir, rel), text);
    };
    put("nic/a.fw", "a");
    put("nic/b.fw", "b old");
    put("updates/nic/b.fw", "b new");
    put("6.1.0-test/nic/c.fw", "c for this kernel");
    put("nic/c.fw", "c");
    put("nic/d.fw.xz", "d packed");
    put("nic/e.fw.xz", "e packed");
    put("updates/nic/e.fw.zst", "e packed newer");
    const plan = findFirmware(
      new Map([
        ["nic", ["nic/a.fw", "nic/b.fw", "nic/c.fw", "nic/d.fw", "nic/e.fw", "nic/gone.fw"]],
        ["other", ["other/x.bin"]],
      ]),
      dir,
      "6.1.0-test",
    );
    expect(plan.files).toEqual([
      { path: "/lib/firmware/nic/a.fw", source: join(dir, "nic/a.fw") },
      { path: "/lib/firmware/nic/b.fw", source: join(dir, "updates/nic/b.fw") },
      { path: "/lib/firmware/nic/c.fw", source: join(dir, "6.1.0-test/nic/c.fw") },
      { path: "/lib/firmware/nic/d.fw.xz", source: join(dir, "nic/d.fw.xz") },
      { path: "/lib/firmware/nic/e.fw.zst", source: join(dir, "updates/nic/e.fw.zst") },
    ]);
    expect([...plan.missing]).toEqual([
      ["nic", ["nic/gone.fw"]],
      ["other", ["other/x.bin"]],
    ]);
  });

  it("refuses a firmware name that would leave /lib/firmware", () => {
    expect(() => findFirmware(new Map([["evil", ["../../etc/shadow"]]]), tmp, "v")).toThrow("module evil asks for firmware '../../etc/shadow', which is not a path under /lib/firmware");
    expect(() => findFirmware(new Map([["evil", ["/etc/shadow"]]]), tmp, "v")).toThrow(/not a path under/);
  });
});
