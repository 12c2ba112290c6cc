// The walking skeleton and the layered root: a real Debian kernel boots tarboot's initramfs, which
// gets its address, host name and DNS from QEMU's DHCP server, streams three layers over HTTP
// (base, extra, %hostname) into one tmpfs and switch_roots into the result. The image trusts a
// manifest key, so every layer is checked chunk by chunk against its signed manifest first. Then
// the same through PXE, and an HTTPS root reached with a clock years off, set from NTP first.
import { generateKeyPairSync } from "node:crypto";
import { createReadStream, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createManifest, manifestKeyId, signManifest } from "../src/fetch/manifest";
import { TRUSTED_KEYS_DIR } from "../src/fetch/trusted-keys";
import { machineIdFromMac } from "../src/root/machine-id";
import { makeCerts } from "../src/fetch/testing/tls-certs";
import { startChronyd } from "../src/testing/chronyd";
import { startRsyslogd } from "../src/testing/rsyslogd";
import { freeUdpPort } from "../src/testing/udp-port";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Artifacts, QEMU_OUT, baseAppend, consoleLog, loadArtifacts } from "./lib/artifacts";
import { type FileServer, serveDir } from "./lib/http";
import { withFiles } from "./lib/extra-files";
import { bootQemu } from "./lib/qemu";
import { makeRootTarball, markerInit } from "./lib/testroot";
import { withTrustedKey } from "./lib/trusted-key";

let art: Artifacts;
let server: FileServer;
let dir: string;
let keyedInitramfs: string;
const key = generateKeyPairSync("ed25519");
const NODE_UUID = "4c4c4544-0035-3010-8030-b4c04f4e3732";

async function sign(file: string): Promise<void> {
  const name = file.slice(file.lastIndexOf("/") + 1);
  writeFileSync(`${file}.manifest`, signManifest(await createManifest(name, createReadStream(file), 64 * 1024), key.privateKey));
}

beforeAll(async () => {
  art = loadArtifacts();
  dir = mkdtempSync(join(QEMU_OUT, "boot-"));
  makeRootTarball(join(dir, "base.tar.zst"), {
    busybox: true,
    // Modules for another kernel only, and an fstab that wants a disk for /: the console must say
    // so before init runs.
    files: {
      "sbin/init": markerInit(
        "TARBOOT-BOOTED",
        `echo "BOOT-JSON=$(tr -d ' \\n' < /run/tarboot/boot.json)"; echo "CONSOLE-LOG-UNPACKED=$(grep -c 'entries unpacked' /run/tarboot/console.log)"`,
      ),
      "etc/who": "base\n",
      "etc/from-base": "kept\n",
      "etc/gone": "whited out by the next layer\n",
      "lib/modules/5.10.0-99-amd64/modules.dep": "",
      // Left over from the machine the root was tarred on: / from a disk.
      "etc/fstab": "UUID=0a1b-2c3d / ext4 errors=remount-ro 0 1\ntmpfs /tmp tmpfs defaults 0 0\n",
    },
  });
  // gzip, bzip2 and xz on purpose: the format is found from the bytes, per layer, and the image
  // must carry every decoder library.
  // With an OCI whiteout: base's etc/gone is removed, as a container runtime would.
  makeRootTarball(join(dir, "extra.tar.gz"), { files: { "etc/who": "extra\n", "etc/from-extra": "kept\n", "etc/.wh.gone": "" } }, "gzip");
  // Published per kernel release, asked for as tools-%kernel.
  makeRootTarball(join(dir, `tools-${art.kernelVersion}.tar.bz2`), { files: { "etc/from-tools": "bz2\n" } }, "bzip2");
  makeRootTarball(join(dir, "node7.tar.xz"), { files: { "etc/who": "node7\n" } }, "xz");
  for (const f of ["base.tar.zst", "extra.tar.gz", `tools-${art.kernelVersion}.tar.bz2`, "node7.tar.xz"]) await sign(join(dir, f));
  keyedInitramfs = await withTrustedKey(art.initramfs, key.publicKey, join(dir, "initramfs-key.img"));
  server = await serveDir(dir);
});

afterAll(async () => {
  await server?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("boot from HTTP root layers", () => {
  it("unpacks base, extra, tools-%kernel and %hostname in order, skips an absent #optional site-%uuid layer, each verified against its signed manifest, stops at break=bottom, and runs the root's init as PID 1", async () => {
    const base = `http://10.0.2.2:${server.port}`;
    const r = await bootQemu({
      kernel: art.vmlinux,
      initrd: keyedInitramfs,
      append: baseAppend(`root=${base}/base.tar.zst,${base}/extra.tar.gz,${base}/tools-%kernel.tar.bz2,${base}/%hostname.tar.xz,${base}/site-%uuid.tar.zst#optional break=bottom debug`),
      // The firmware's system UUID the guest reads from SMBIOS, for %uuid.
      extraArgs: ["-uuid", NODE_UUID],
      // The rescue shell at break=bottom sees the unpacked root in /root; leaving it goes on with the boot.
      input: [{ after: /break=bottom: rescue shell/, send: "echo SHELL-SAW-$(cat /root/etc/who)-$(cat /root/etc/from-tools)-$(ls -a /root/etc | grep -c gone)-$(cat /root/etc/from-base); exit\n" }],
      hostname: "node7",
      domain: "cluster.test",
      until: /TARBOOT-BOOTED .*/,
      waitForExit: true,
      timeoutMs: 300_000,
      logFile: consoleLog("layers"),
    });
    expect(r.timedOut, r.console).toBe(false);
    const line = r.matched?.[0] ?? "";
    // The last layer wins, the lease named the host and its DNS server, the root's init is PID 1.
    expect(line, r.console).toMatch(/^TARBOOT-BOOTED pid=1 hostname=node7 ns=10\.0\.2\.3 who=node7 freed=\d+/);
    // The initramfs was deleted before the exec: more bytes than the init executable alone (82 MB
    // of ~92; the bound was 100 MiB while the modules were stored uncompressed).
    expect(Number(line.match(/freed=(\d+)/)?.[1])).toBeGreaterThan(statSync(art.init).size);
    expect(server.requests).toEqual([
      "GET /base.tar.zst.manifest 200", "GET /base.tar.zst 200",
      "GET /extra.tar.gz.manifest 200", "GET /extra.tar.gz 200",
      `GET /tools-${art.kernelVersion}.tar.bz2.manifest 200`, `GET /tools-${art.kernelVersion}.tar.bz2 200`,
      "GET /node7.tar.xz.manifest 200", "GET /node7.tar.xz 200",
      // Not published for this host, and optional: skipped, the boot goes on.
      `GET /site-${NODE_UUID}.tar.zst.manifest 404`,
    ]);
    const id = manifestKeyId(key.publicKey);
    expect(r.console).toContain(`every layer needs a manifest signed by a trusted key (${id} in ${TRUSTED_KEYS_DIR})`);
    expect(r.console).toMatch(new RegExp(`layer 4/5 http://\\S+/node7\\.tar\\.xz: \\d+ entries unpacked, manifest of key ${id} verified`));
    expect(r.console).toContain(`layer 5/5 (optional): no such manifest at ${base}/site-${NODE_UUID}.tar.zst.manifest (HTTP 404 Not Found); skipped`);
    expect(r.console).toContain("eth0: 10.0.2.15/24 via 10.0.2.2");
    // Neither etc/gone nor the whiteout itself is in the root; base's other files are.
    expect(r.console).toContain("SHELL-SAW-node7-bz2-0-kept");
    expect(r.console).toMatch(new RegExp(`layer 2/5 http://\\S+/extra\\.tar\\.gz: \\d+ entries unpacked, 1 removed by whiteouts, manifest of key ${id} verified`));
    expect(r.console).toContain(`warn: the new root has kernel modules for 5.10.0-99-amd64 but not for the running kernel ${art.kernelVersion}: `);
    // What the booted system finds in boot.json about both.
    const boot = JSON.parse(r.console.match(/^BOOT-JSON=(.*)$/m)?.[1] ?? "{}");
    // The console's lines, kept for the booted system: one per unpacked layer.
    expect(r.console).toContain("CONSOLE-LOG-UNPACKED=4");
    expect(r.console).toMatch(/tarboot: root ready [\d.]+s after the kernel started \(tarboot [\d.]+s; network [\d.]+s; layers [\d.]+s, [\d.]+ [KM]iB at [\d.]+ [KM]iB\/s\)/);
    expect(boot.kernelModules).toEqual({ release: art.kernelVersion, kind: "other", releases: ["5.10.0-99-amd64"] });
    expect(r.console).toContain("warn: the new root's /etc/fstab line 1: / is tarboot's tmpfs, not UUID=0a1b-2c3d: systemd-remount-fs will fail remounting it as ext4");
    // (The marker init reads boot.json with its spaces taken out.)
    expect(boot.fstab).toEqual([{ line: 1, entry: "UUID=0a1b-2c3d/ext4errors=remount-ro", problem: expect.stringMatching(/^\/istarboot'stmpfs/) }]);
    expect(boot.layers[4]).toMatchObject({ index: 5, url: `${base}/site-${NODE_UUID}.tar.zst`, bytes: 0, absent: true });
    // debug: every stage with its duration (and the mount stage's bytes).
    for (const stage of ["top", "network", "premount", "bottom"]) expect(r.console).toMatch(new RegExp(`debug: \\[ *[\\d.]+\\] stage ${stage}: [\\d.]+m?s`));
    expect(r.console).toMatch(/debug: \[ *[\d.]+\] stage mount: [\d.]+m?s, [\d.]+ [KM]iB/);
    expect(r.console).not.toMatch(/Kernel panic/);
  });
});

describe("PXE", () => {
  it("boots through the NIC's iPXE ROM: TFTP script, kernel and initramfs over HTTP, then tarboot", async () => {
    const { symlinkSync, writeFileSync } = await import("node:fs");
    symlinkSync(art.bzImage, join(dir, "vmlinuz"));
    symlinkSync(art.initramfs, join(dir, "initramfs.img"));
    const base = `http://10.0.2.2:${server.port}`;
    writeFileSync(
      join(dir, "boot.ipxe"),
      `#!ipxe
kernel ${base}/vmlinuz ${baseAppend(`root=${base}/base.tar.zst BOOTIF=01-\${net0/mac:hexhyp}`)}
initrd ${base}/initramfs.img
boot
`,
    );
    const before = server.requests.length;
    const r = await bootQemu({
      hostname: "pxe1",
      netdevExtra: `tftp=${dir},bootfile=boot.ipxe`,
      extraArgs: ["-boot", "n"],
      until: /TARBOOT-BOOTED .*/,
      waitForExit: true,
      timeoutMs: 420_000,
      logFile: consoleLog("pxe"),
    });
    expect(r.timedOut, r.console).toBe(false);
    expect(r.matched?.[0], r.console).toMatch(/^TARBOOT-BOOTED pid=1 hostname=pxe1 ns=10\.0\.2\.3 who=base/);
    expect(server.requests.slice(before)).toEqual(["GET /vmlinuz 200", "GET /initramfs.img 200", "GET /base.tar.zst 200"]);
  });
});

describe("IPv6", () => {
  it("waits for the kernel's SLAAC address, then fetches the layer from an IPv6 address", async () => {
    const v6 = await serveDir(dir, undefined, "::1");
    try {
      const r = await bootQemu({
        kernel: art.vmlinux,
        initrd: art.initramfs,
        append: baseAppend(`root=http://[fec0::2]:${v6.port}/base.tar.zst`),
        until: /TARBOOT-BOOTED .*/,
        waitForExit: true,
        timeoutMs: 240_000,
        logFile: consoleLog("ipv6"),
      });
      expect(r.timedOut, r.console).toBe(false);
      expect(r.matched?.[0], r.console).toMatch(/^TARBOOT-BOOTED pid=1 /);
      // QEMU's router advertises fec0::/64; the address comes from the MAC (EUI-64).
      expect(r.console).toContain("eth0: fec0::5054:ff:fe12:3456/64 (IPv6, from the router's advertisement)");
      expect(r.console).not.toContain("network unreachable");
      expect(v6.requests).toEqual(["GET /base.tar.zst 200"]);
    } finally {
      await v6.close();
    }
  });
});

describe("IPv6 only, router advertisements only", () => {
  it("ip=auto6: the kernel's SLAAC address, on QEMU's user network without IPv4", async () => {
    const v6 = await serveDir(dir, undefined, "::1");
    try {
      const r = await bootQemu({
        kernel: art.vmlinux,
        initrd: art.initramfs,
        append: baseAppend(`ip=auto6 root=http://[fec0::2]:${v6.port}/base.tar.zst`),
        netdevExtra: "ipv4=off",
        until: /TARBOOT-BOOTED .*/,
        waitForExit: true,
        timeoutMs: 240_000,
        logFile: consoleLog("auto6"),
      });
      expect(r.timedOut, r.console).toBe(false);
      expect(r.matched?.[0], r.console).toMatch(/^TARBOOT-BOOTED pid=1 /);
      expect(r.console).toContain("eth0: fec0::5054:ff:fe12:3456/64 (SLAAC, router fe80::2)");
      // QEMU 7.2's router advertises no DNS server (dnsmasq's does: the netns test reads its RDNSS and DNSSL).
      expect(r.console).toContain("warn: eth0: the router advertisement names no DNS server (RDNSS, RFC 8106): host names cannot be looked up");
      expect(r.console).not.toContain("(IPv6, from the router's advertisement)");
      expect(r.console).not.toMatch(/DHCP/);
      expect(v6.requests).toEqual(["GET /base.tar.zst 200"]);
    } finally {
      await v6.close();
    }
  });
});

describe("HTTPS with a clock years off", () => {
  it("sets the clock from NTP before the download, so the certificate checks, and the root starts with the right date (ARP check on, machine id from the MAC)", async () => {
    // The guest's RTC says 2001: without the clock set, the certificate (valid from today) is
    // "not yet valid". chronyd on the host serves the host's clock to the guest at 10.0.2.2.
    const tlsDir = mkdtempSync(join(dir, "tls-"));
    const certs = makeCerts(tlsDir, "IP:10.0.2.2");
    makeRootTarball(join(tlsDir, "clock.tar.zst"), {
      busybox: true,
      files: { "sbin/init": markerInit("TARBOOT-CLOCK", `echo "ROOT-YEAR=$(date +%Y) MACHINE-ID=$(cat /etc/machine-id)"; echo "BOOT-JSON=$(tr -d ' \\n' < /run/tarboot/boot.json)"`), "etc/machine-id": "0123456789abcdef0123456789abcdef\n" },
    });
    const https = await serveDir(tlsDir, certs);
    const chronyd = await startChronyd({ address: "127.0.0.1", port: await freeUdpPort() });
    // Syslog over TLS with the same CA: its certificate, too, checks only once the clock is set.
    const syslog = await startRsyslogd({ address: "127.0.0.1", port: await freeUdpPort(), tls: { caFile: certs.caFile, certFile: certs.certFile, keyFile: certs.keyFile } });
    try {
      const initrd = await withFiles(art.initramfs, [{ path: "etc/ssl/test-ca.pem", data: readFileSync(certs.caFile) }], join(tlsDir, "initramfs-ca.img"));
      const r = await bootQemu({
        kernel: art.vmlinux,
        initrd,
        // The ARP check rides along: its packet socket in a real kernel, QEMU's network not answering for 10.0.2.15.
        append: baseAppend(`root=https://10.0.2.2:${https.port}/clock.tar.zst tarboot.ca=/etc/ssl/test-ca.pem tarboot.ntp=10.0.2.2:${chronyd.port} tarboot.syslog=tls://10.0.2.2:${syslog.port} tarboot.arp-check=200 tarboot.machine-id=mac debug`),
        extraArgs: ["-rtc", "base=2001-01-01T00:00:00"],
        until: /TARBOOT-CLOCK .*/,
        waitForExit: true,
        timeoutMs: 300_000,
        logFile: consoleLog("ntp"),
      });
      expect(r.timedOut, r.console).toBe(false);
      expect(r.console).toMatch(new RegExp(`clock set from NTP server 10\\.0\\.2\\.2:${chronyd.port}: \\+\\d+\\.\\d days \\(was 2001-01-01T`));
      expect(Number(r.console.match(/ROOT-YEAR=(\d+)/)?.[1])).toBe(new Date().getUTCFullYear());
      // The image's shared id replaced by the node's own, from QEMU's default MAC.
      expect(r.console).toContain(`MACHINE-ID=${machineIdFromMac("52:54:00:12:34:56")}`);
      const boot = JSON.parse(r.console.match(/^BOOT-JSON=(.*)$/m)?.[1] ?? "{}");
      expect(boot.ntp).toMatchObject({ kind: "stepped", server: `10.0.2.2:${chronyd.port}` });
      expect(boot.ntp.offsetMs).toBeGreaterThan(365 * 86_400_000);
      expect(boot.machineId).toEqual({ from: "mac", id: machineIdFromMac("52:54:00:12:34:56") });
      expect(r.console).toContain("eth0: no answer to ARP probes for 10.0.2.15 in 200 ms: free");
      expect(https.requests).toEqual(["GET /clock.tar.zst 200"]);
      expect(r.console).not.toMatch(/Kernel panic/);
      // TLS from inside the executable (Node's own OpenSSL), the certificate checked against tarboot.ca=.
      expect(r.console).toContain(`console lines also go to syslog at tls://10.0.2.2:${syslog.port}`);
      // The last line before the exec: sent synchronously, it has left before /sbin/init replaces tarboot.
      const lines = await syslog.waitFor(/starting \/sbin\/init/, 10_000);
      expect(lines).toContainEqual(expect.stringMatching(/^30 \S+ tarboot 1 booting 1 layer\(s\): /));
      expect(lines).toContainEqual(expect.stringMatching(new RegExp(`^\\d+ \\S+ tarboot 1 clock set from NTP server 10\\.0\\.2\\.2:${chronyd.port}`)));
    } finally {
      await syslog.stop();
      await chronyd.stop();
      await https.close();
    }
  });
});
