// Bad input never panics the kernel: the console names the parameter, layer or path at fault, and
// PID 1 takes the failure path (here: no rescue shell, panic=-1, so it reboots and QEMU exits).
import { generateKeyPairSync } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Artifacts, QEMU_OUT, baseAppend, consoleLog, loadArtifacts } from "./lib/artifacts";
import { type FileServer, serveDir } from "./lib/http";
import { type BootResult, bootQemu } from "./lib/qemu";
import { makeRootTarball, markerInit } from "./lib/testroot";
import { withTrustedKey } from "./lib/trusted-key";
import { freeUdpPort } from "../src/testing/udp-port";
import { startRsyslogd } from "../src/testing/rsyslogd";

let art: Artifacts;
let server: FileServer;
let dir: string;

beforeAll(async () => {
  art = loadArtifacts();
  dir = mkdtempSync(join(QEMU_OUT, "fail-"));
  makeRootTarball(join(dir, "ok.tar.zst"), { busybox: true, files: { "sbin/init": markerInit("SHOULD-NOT-BOOT") } });
  makeRootTarball(join(dir, "noinit.tar.zst"), { busybox: true, files: { "etc/who": "noinit\n" } });
  server = await serveDir(dir);
});

afterAll(async () => {
  await server?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function bootFailing(append: string, name: string, initrd = art.initramfsNoShell): Promise<BootResult> {
  return bootQemu({
    kernel: art.vmlinux,
    initrd,
    append: baseAppend(append),
    until: /reboot: Restarting system|Kernel panic/,
    waitForExit: true,
    timeoutMs: 240_000,
    logFile: consoleLog(`failure-${name}`),
  });
}

function expectCleanFailure(r: BootResult): void {
  expect(r.timedOut, r.console).toBe(false);
  expect(r.console).not.toMatch(/Kernel panic|Attempted to kill init/);
  expect(r.console).not.toContain("SHOULD-NOT-BOOT");
  expect(r.console).toContain("tarboot: rebooting");
  // panic=-1 on the command line holds on every failure path, a malformed command line included.
  expect(r.console).not.toMatch(/rebooting in \d+s/);
}

describe("failures on a real kernel", () => {
  it("reports every malformed boot parameter before anything is mounted", async () => {
    const r = await bootFailing(`rootsize=banana ip=1.2.3 root=http://10.0.2.2:${server.port}/ok.tar.zst`, "cmdline");
    expectCleanFailure(r);
    expect(r.console).toMatch(/tarboot: error: .*rootsize=banana: .*accepted: /);
    expect(r.console).toMatch(/tarboot: error: .*ip=1\.2\.3: /);
    expect(server.requests).toEqual([]);
  });

  it("never enters a root whose layer fails its sha256, and tells the syslog server why", async () => {
    const bad = "0".repeat(64);
    // rsyslogd on the host, 10.0.2.2 to the guest: a site's log server, for nodes nobody watches.
    const syslog = await startRsyslogd({ address: "127.0.0.1", port: await freeUdpPort() });
    try {
      const r = await bootFailing(`root=http://10.0.2.2:${server.port}/ok.tar.zst#sha256=${bad} tarboot.syslog=10.0.2.2:${syslog.port}`, "checksum");
      expectCleanFailure(r);
      expect(r.console).toMatch(/layer 1\/1.*ok\.tar\.zst.*sha256/);
      const lines = await syslog.waitFor(/sha256 mismatch/, 10_000);
      // From the first line of the boot (sent once the network was up) to the failure, as errors.
      // Datagrams may arrive out of order (seen under load); each carries the time of its line.
      expect(lines).toContainEqual(expect.stringMatching(/^30 \S+ tarboot 1 booting 1 layer\(s\): /));
      expect(lines).toContainEqual(expect.stringMatching(/^27 \S+ tarboot 1 .*layer 1\/1.*ok\.tar\.zst.*sha256 mismatch/));
      expect(lines).toContainEqual(expect.stringMatching(/^\d+ \S+ tarboot 1 rebooting/));
    } finally {
      await syslog.stop();
    }
  });

  it("with a trusted key in the image, refuses a layer without a signed manifest before fetching it (syslog over TCP)", async () => {
    const keyed = await withTrustedKey(art.initramfsNoShell, generateKeyPairSync("ed25519").publicKey, join(dir, "initramfs-key.img"));
    const before = server.requests.length;
    const syslog = await startRsyslogd({ address: "127.0.0.1", port: await freeUdpPort(), tcp: true });
    try {
      const r = await bootFailing(`root=http://10.0.2.2:${server.port}/ok.tar.zst tarboot.syslog=tcp://10.0.2.2:${syslog.port}`, "unsigned", keyed);
      expectCleanFailure(r);
      expect(r.console).toMatch(/layer 1\/1: no valid manifest: http:\/\/10\.0\.2\.2:\d+\/ok\.tar\.zst\.manifest: HTTP 404 Not Found/);
      expect(server.requests.slice(before)).toEqual(["GET /ok.tar.zst.manifest 404"]);
      // Over TCP, in order, the failure and the reboot included: sent before the kernel rebooted.
      const lines = await syslog.waitFor(/rebooting/, 10_000);
      const at = (re: RegExp) => lines.findIndex((l) => re.test(l));
      expect(at(/^30 \S+ tarboot 1 booting 1 layer\(s\): /)).toBe(0);
      expect(at(/^\d+ \S+ tarboot 1 .*no valid manifest/)).toBeGreaterThan(0);
      expect(at(/^\d+ \S+ tarboot 1 rebooting/)).toBeGreaterThan(at(/no valid manifest/));
    } finally {
      await syslog.stop();
    }
  });

  it("says so when the root has no /sbin/init, before deleting anything", async () => {
    const r = await bootFailing(`root=http://10.0.2.2:${server.port}/noinit.tar.zst`, "noinit");
    expectCleanFailure(r);
    expect(r.console).toMatch(/init=\/sbin\/init: .*not found/);
  });

  it("a bond option the bonding driver refuses: its own reason, from the kernel log, on tarboot's error line", async () => {
    const before = server.requests.length;
    const r = await bootFailing(`root=http://10.0.2.2:${server.port}/ok.tar.zst bond=bond0:eth0:xmit_hash_policy=layer9`, "bond");
    expectCleanFailure(r);
    expect(r.console).toMatch(
      /tarboot: error: .*bond=bond0:eth0:xmit_hash_policy=layer9: cannot set xmit_hash_policy=layer9 on bond0: the bonding driver refused it: "bond0: option xmit_hash_policy: invalid value \(layer9\)"/,
    );
    // The boot fails in the network stage: this test asks for nothing (earlier tests in this file did).
    expect(server.requests.slice(before)).toEqual([]);
  });
});
