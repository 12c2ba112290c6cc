// The walking skeleton: a real Debian kernel boots tarboot's initramfs, which gets an address from
// QEMU's DHCP server, streams a busybox root over HTTP from this host and switch_roots into it.
import { mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Artifacts, QEMU_OUT, baseAppend, loadArtifacts } from "./lib/artifacts";
import { type FileServer, serveDir } from "./lib/http";
import { bootQemu } from "./lib/qemu";
import { makeRootTarball, markerInit } from "./lib/testroot";

let art: Artifacts;
let server: FileServer;
let dir: string;

beforeAll(async () => {
  art = loadArtifacts();
  dir = mkdtempSync(join(QEMU_OUT, "boot-"));
  makeRootTarball(join(dir, "base.tar.zst"), {
    busybox: true,
    files: {
      "sbin/init": markerInit("TARBOOT-BOOTED", "mount -t proc proc /proc"),
      "etc/layers": "base\n",
    },
  });
  server = await serveDir(dir);
});

afterAll(async () => {
  await server?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("boot from an HTTP root tarball", () => {
  it("reaches the root's /sbin/init as PID 1 with the lease's hostname and DNS", async () => {
    const r = await bootQemu({
      kernel: art.vmlinux,
      initrd: art.initramfs,
      append: baseAppend(`root=http://10.0.2.2:${server.port}/base.tar.zst`),
      hostname: "node7",
      domain: "cluster.test",
      until: /TARBOOT-BOOTED .*/,
      waitForExit: true,
      timeoutMs: 240_000,
      logFile: join(dir, "console.log"),
    });
    expect(r.timedOut, r.console).toBe(false);
    expect(r.console).toContain("TARBOOT-BOOTED pid=1 hostname=node7 ns=10.0.2.3 layers=base,");
    expect(server.requests).toEqual(["GET /base.tar.zst 200"]);
    expect(r.console).not.toMatch(/Kernel panic/);
  });
});
