import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { ensureDebianKernel, imagePackageFromDepends } from "./debian-kernel";

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
});
