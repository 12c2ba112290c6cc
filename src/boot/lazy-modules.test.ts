// What the boot evaluates must not load Node modules it only needs sometimes: node:crypto for a
// sha256= or a manifest, node:tls for https, node:zlib for gzip, node:http for a failure's reason
// phrase, node:dgram for NTP. Each is tens of internal modules, ~20 ms natively together and several hundred under
// emulation, on the path of every boot. Checked on the layers module (fetch and unpack, loaded
// while the network comes up) and the boot itself, bundled as the executable bundles them.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { build } from "esbuild";
import { afterAll, describe, expect, it } from "vitest";
import { ensureNode24 } from "../../build/node24.mjs";
import { REPO } from "../testing/bundle";

const dir = mkdtempSync(join(tmpdir(), "tarboot-lazy-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Node's internal modules that evaluating `entry` loads, beyond what an empty script has. */
async function loadedBy(entry: string): Promise<string[]> {
  const bundle = join(dir, "entry.cjs");
  await build({
    entryPoints: [join(REPO, entry)],
    outfile: bundle,
    bundle: true,
    platform: "node",
    target: "node24",
    format: "cjs",
    // No C is called while modules evaluate; the stub keeps koffi's own loader out of the count.
    alias: { koffi: join(REPO, "src/testing/koffi-stub.ts") },
    logLevel: "error",
  });
  const driver = join(dir, "driver.cjs");
  writeFileSync(
    driver,
    `const before = new Set(process.moduleLoadList);
     require(${JSON.stringify(bundle)});
     process.stdout.write(JSON.stringify(process.moduleLoadList.filter((m) => !before.has(m))));`,
  );
  const r = spawnSync(ensureNode24(), [driver], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`evaluating ${entry} failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as string[];
}

const SOMETIMES = /^NativeModule (crypto|tls|zlib|http|https|_http_\w+|internal\/crypto\/\w+|internal\/tls\/\w+)$/;

describe("modules loaded with the boot code", () => {
  it("fetch and unpack need net and streams, not crypto, tls, zlib or http", async () => {
    const loaded = await loadedBy("src/boot/layers.ts");
    expect(loaded).toContain("NativeModule net");
    expect(loaded.filter((m) => SOMETIMES.test(m))).toEqual([]);
  }, 60_000);

  it("the boot up to the network stage needs none of them, nor child_process, nor dgram (NTP)", async () => {
    const loaded = await loadedBy("src/boot/init.ts");
    expect(loaded.filter((m) => SOMETIMES.test(m) || m === "NativeModule child_process" || m === "NativeModule dgram")).toEqual([]);
  }, 60_000);
});
