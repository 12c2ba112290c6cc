import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { REPO, bundleDriver, node24, removeBundles } from "../testing/bundle";

afterAll(removeBundles);

describe("orphan reaper", () => {
  it("reaps an orphan's zombie and leaves the init's own children to Node", async () => {
    const driver = await bundleDriver(join(REPO, "src/testing/reaper-driver.ts"));
    const r = spawnSync(node24(), [driver], { encoding: "utf8", timeout: 30_000 });
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout.trim().split("\n").pop()!);
    expect(out.orphanBefore).toBe("Z");
    expect(out.reaped).toBe(1);
    expect(out.orphanAfter).toBe("gone");
    expect(out.ownedExit).toBe(7);
  });
});
