import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { tempDir } from "../testing/root-fixtures";
import { modulesInRoot, modulesMessage } from "./kernel-modules";

const RELEASE = "6.1.0-41-amd64";

let tmp: ReturnType<typeof tempDir>;
let root: string;
beforeEach(() => {
  tmp = tempDir("kmods");
  root = join(tmp.dir, "root");
  mkdirSync(root);
});
afterEach(() => tmp.cleanup());

function modulesOf(dir: string, depmod = true): void {
  mkdirSync(join(root, dir, "kernel/drivers"), { recursive: true });
  if (depmod) writeFileSync(join(root, dir, "modules.dep"), "kernel/drivers/e1000.ko:\n");
}

describe("modulesInRoot", () => {
  it("finds the running kernel's modules, also behind merged-usr's /lib -> usr/lib", () => {
    modulesOf(`usr/lib/modules/${RELEASE}`);
    symlinkSync("usr/lib", join(root, "lib"));
    expect(modulesInRoot(root, RELEASE)).toEqual({ kind: "ok", dir: `/usr/lib/modules/${RELEASE}` });
    expect(modulesMessage(modulesInRoot(root, RELEASE), RELEASE)).toBeNull();
  });

  it("follows an absolute link inside the root, never the initramfs' own /lib", () => {
    modulesOf(`opt/k/${RELEASE}`);
    mkdirSync(join(root, "lib"));
    symlinkSync("/opt/k", join(root, "lib/modules"));
    expect(modulesInRoot(root, RELEASE)).toEqual({ kind: "ok", dir: `/opt/k/${RELEASE}` });
  });

  it("names the releases a root built for another kernel carries", () => {
    modulesOf("lib/modules/6.1.0-40-amd64");
    modulesOf("lib/modules/6.1.0-39-amd64");
    writeFileSync(join(root, "lib/modules/README"), "not a release");
    const found = modulesInRoot(root, RELEASE);
    expect(found).toEqual({ kind: "other", releases: ["6.1.0-39-amd64", "6.1.0-40-amd64"] });
    expect(modulesMessage(found, RELEASE)).toEqual({
      level: "warn",
      text:
        "the new root has kernel modules for 6.1.0-39-amd64, 6.1.0-40-amd64 but not for the running kernel 6.1.0-41-amd64: " +
        "the drivers it loads will fail (publish this kernel's modules as a layer, e.g. root=...,http://srv/modules-%kernel.tar.zst)",
    });
  });

  it("says when depmod was never run for the running kernel's modules", () => {
    modulesOf(`lib/modules/${RELEASE}`, false);
    const found = modulesInRoot(root, RELEASE);
    expect(found).toEqual({ kind: "no-depmod", dir: `/lib/modules/${RELEASE}` });
    expect(modulesMessage(found, RELEASE)?.text).toBe(
      `the new root has /lib/modules/${RELEASE} but no modules.dep in it: modprobe will find none of its modules (run depmod ${RELEASE} when building the root)`,
    );
  });

  it("is only informative for a root without /lib/modules, or with an empty one", () => {
    expect(modulesInRoot(root, RELEASE)).toEqual({ kind: "none" });
    mkdirSync(join(root, "lib/modules"), { recursive: true });
    expect(modulesInRoot(root, RELEASE)).toEqual({ kind: "none" });
    expect(modulesMessage({ kind: "none" }, RELEASE)).toEqual({
      level: "info",
      text: `the new root has no /lib/modules: the running kernel ${RELEASE} will have only its built-in drivers`,
    });
  });

  it("does not take a file or a dangling link for the release's directory", () => {
    mkdirSync(join(root, "lib/modules"), { recursive: true });
    writeFileSync(join(root, "lib/modules", RELEASE), "");
    expect(modulesInRoot(root, RELEASE)).toEqual({ kind: "none" });
    symlinkSync("/nowhere", join(root, "lib/modules/6.1.0-1-amd64"));
    expect(modulesInRoot(root, RELEASE)).toEqual({ kind: "other", releases: ["6.1.0-1-amd64"] });
  });
});
