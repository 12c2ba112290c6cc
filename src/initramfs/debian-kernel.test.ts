import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { ensureDebianKernel, imagePackageFromDepends, withLock } from "./debian-kernel";

const KERNEL_CACHE = fileURLToPath(new URL("../../build/cache/kernel", import.meta.url));

describe("Debian kernel cache", () => {
  it("follows the meta package to the image package", () => {
    expect(imagePackageFromDepends("linux-image-6.1.0-56-amd64 (= 6.1.192-2)")).toBe("linux-image-6.1.0-56-amd64");
    expect(imagePackageFromDepends("kmod, linux-image-6.12.9-amd64-unsigned (= 6.12.9-1) | linux-image-6.12.9-amd64")).toBe("linux-image-6.12.9-amd64-unsigned");
    expect(imagePackageFromDepends("kmod, linux-base")).toBeUndefined();
  });

  it("fetches once, then answers from the cache, also to concurrent callers", async () => {
    const [a, b] = await Promise.all([ensureDebianKernel(KERNEL_CACHE), ensureDebianKernel(KERNEL_CACHE)]);
    expect(b).toEqual(a);
    expect(a.version).toMatch(/^\d+\.\d+\.\d+-\d+-amd64$/);
    expect(existsSync(a.vmlinuz)).toBe(true);
    expect(readFileSync(join(a.modulesDir, "modules.dep"), "utf8")).toMatch(/^kernel\/drivers\/net\/virtio_net\.ko(\.[a-z]+)?:/m);
    const again = await ensureDebianKernel(KERNEL_CACHE);
    expect(again).toEqual(a);
  });

  it("the cache lock serializes callers and takes over a dead holder's lock", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tarboot-lock-"));
    try {
      const lock = join(dir, "k.lock");
      const events: string[] = [];
      const job = (name: string) => withLock(lock, async () => {
        events.push(`${name} in`);
        await new Promise((r) => setTimeout(r, 100));
        events.push(`${name} out`);
        return name;
      });
      expect(await Promise.all([job("a"), job("b")])).toEqual(["a", "b"]);
      // Either caller may win the race for the lock; one must be out before the other is in.
      expect([
        ["a in", "a out", "b in", "b out"],
        ["b in", "b out", "a in", "a out"],
      ]).toContainEqual(events);
      expect(existsSync(lock)).toBe(false);

      const dead = spawnSync("true").pid!;
      writeFileSync(lock, String(dead));
      expect(await withLock(lock, async () => readFileSync(lock, "utf8"))).toBe(String(process.pid));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
