// A real Debian (debootstrap minbase + systemd-sysv, tarred with xattrs) boots to multi-user under
// systemd from tarboot's tmpfs root. A small overlay layer adds a unit that reports what the booted
// system sees (the file capability on ping survived, the host name from DHCP) and powers off.
import { mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureDebianRootCompressed } from "../src/testing/debian-root";
import { type Artifacts, QEMU_OUT, baseAppend, consoleLog, loadArtifacts } from "./lib/artifacts";
import { type FileServer, serveDir } from "./lib/http";
import { bootQemu } from "./lib/qemu";
import { makeRootTarball } from "./lib/testroot";

const UNIT = `[Unit]
Description=tarboot boot marker
After=multi-user.target

[Service]
Type=oneshot
StandardOutput=tty
TTYPath=/dev/ttyS0
ExecStart=/bin/sh -c 'echo "DEBIAN-BOOTED target=$(systemctl is-active multi-user.target) cap=$(getcap /usr/bin/ping) hostname=$(cat /etc/hostname) ns=$(grep -m1 ^nameserver /etc/resolv.conf)"'
ExecStartPost=/bin/systemctl --no-block poweroff

[Install]
WantedBy=multi-user.target
`;

let art: Artifacts;
let server: FileServer;
let dir: string;

beforeAll(async () => {
  art = loadArtifacts();
  dir = mkdtempSync(join(QEMU_OUT, "debian-"));
  symlinkSync(await ensureDebianRootCompressed("zstd"), join(dir, "debian.tar.zst"));
  makeRootTarball(
    join(dir, "marker.tar.gz"),
    {
      skeleton: false,
      files: { "etc/systemd/system/tarboot-marker.service": UNIT },
      // What `systemctl enable` makes.
      symlinks: { "etc/systemd/system/multi-user.target.wants/tarboot-marker.service": "../tarboot-marker.service" },
    },
    "gzip",
  );
  server = await serveDir(dir);
}, 1_800_000);

afterAll(async () => {
  await server?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("a real Debian root", () => {
  it("boots to multi-user under systemd with file capabilities and the lease's identity", async () => {
    const base = `http://10.0.2.2:${server.port}`;
    const r = await bootQemu({
      kernel: art.vmlinux,
      initrd: art.initramfs,
      append: baseAppend(`root=${base}/debian.tar.zst,${base}/marker.tar.gz systemd.show_status=false`),
      hostname: "deb1",
      domain: "cluster.test",
      memoryMiB: 2048,
      until: /DEBIAN-BOOTED .*/,
      waitForExit: true,
      timeoutMs: 900_000,
      logFile: consoleLog("debian"),
    });
    expect(r.timedOut, r.console.slice(-4000)).toBe(false);
    const line = r.matched?.[0] ?? "";
    expect(line, r.console.slice(-4000)).toMatch(/target=active/);
    expect(line).toMatch(/cap=\/usr\/bin\/ping cap_net_raw=ep/);
    expect(line).toMatch(/hostname=deb1 /);
    expect(line).toMatch(/ns=nameserver 10\.0\.2\.3/);
    expect(r.console).not.toMatch(/Kernel panic/);
  });
});
