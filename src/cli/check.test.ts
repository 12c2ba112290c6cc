// `tarboot check`: the node's grammar and messages on a host, and with --fetch real requests to a
// real HTTP server (present, absent, redirected, an HTML page, a signed manifest).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { release, tmpdir } from "node:os";
import { join } from "node:path";
import { zstdCompressSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { manifestKeyId } from "../fetch/manifest";
import { type FaultServer, startFaultServer } from "../fetch/testing/fault-server";
import { type SignedLayer, makeSignedLayer } from "../testing/signed-layer";
import { type CpioEntry, writeCpio } from "../initramfs/cpio";
import { checkCommand } from "./check";

const tmp = mkdtempSync(join(tmpdir(), "tarboot-check-"));
let signed: SignedLayer;
let srv: FaultServer;
let base: string;

beforeAll(async () => {
  signed = await makeSignedLayer(tmp);
  srv = await startFaultServer(signed.layer, (_n, req) => {
    if (req.url === "/node7.tar" || req.url === "/gone.tar") return { status: req.url === "/gone.tar" ? 410 : 404 };
    if (req.url === "/broken.tar") return { status: 500 };
    if (req.url === "/old.tar") return { status: 302, headers: { location: "/base.tar" } };
    if (req.url === "/page") return { data: Buffer.from("<!DOCTYPE html>\n<html>not here</html>\n".padEnd(600, " ")) };
    if (req.url?.endsWith(".manifest")) return req.url === "/base.tar.manifest" ? { data: signed.manifest } : { status: 404 };
    return {};
  });
  base = `http://127.0.0.1:${srv.port}`;
});
afterAll(async () => {
  await srv?.close();
  await signed?.close();
  rmSync(tmp, { recursive: true, force: true });
});

const SETTINGS = /^(network|root|downloads|clock): /;

/** Runs the command; `out` without the settings lines (one test reads those), `all` with them. */
async function run(...argv: string[]): Promise<{ code: number; out: string; all: string }> {
  let all = "";
  const o = vi.spyOn(process.stdout, "write").mockImplementation((s) => ((all += String(s)), true));
  try {
    const code = await checkCommand(argv);
    return { code, all, out: all.split(/(?<=\n)/).filter((l) => !SETTINGS.test(l)).join("") };
  } finally {
    o.mockRestore();
  }
}

describe("tarboot check", () => {
  it("says what a node would say about a bad parameter, and fails", async () => {
    const r = await run("root=http://srv/base.tar.zst", "rootsize=banana");
    expect(r.code).toBe(1);
    expect(r.out).toBe(
      "error: rootsize=banana: not a size; accepted: bytes with optional k/m/g suffix (binary) or N% of RAM, e.g. rootsize=4g or rootsize=50%\n",
    );
    expect((await run("ip=dhcp")).out).toBe("error: no root=http(s)://... among the parameters: a node would have nothing to boot\n");
  });

  it("fills in the templates for one node, the image's defaults first, and names what it needs", async () => {
    const r = await run("--defaults", "tarboot.mirrors=http://m1/roots/,http://m2/roots/", "--hostname", "node7", "root=base-%kernel.tar.zst,%hostname.tar.gz#optional");
    expect(r.code).toBe(0);
    expect(r.out).toBe(
      "2 layer(s)\n" +
        `layer 1/2: http://m1/roots/base-${release()}.tar.zst | http://m2/roots/base-${release()}.tar.zst\n` +
        "layer 2/2 #optional: http://m1/roots/node7.tar.gz | http://m2/roots/node7.tar.gz\n",
    );
    const unknown = await run("root=http://srv/%hostname-%mac.tar,http://srv/%uuid.tar");
    expect(unknown.out).toBe(
      "2 layer(s)\nlayer 1/2: http://srv/%hostname-%mac.tar (%hostname %mac filled in at boot; give --hostname, --mac to check one node's URLs)\n" +
        "layer 2/2: http://srv/%uuid.tar (%uuid filled in at boot; give --uuid to check one node's URLs)\n",
    );
    expect((await run("--uuid", "4C4C4544-0035-3010-8030-B4C04F4E3732", "root=http://srv/%uuid.tar")).out).toContain("layer 1/1: http://srv/4c4c4544-0035-3010-8030-b4c04f4e3732.tar\n");
    expect(unknown.code).toBe(0);
    expect((await run("--fetch", "root=http://srv/%hostname-%mac.tar")).code).toBe(1);
  });

  it("--fetch: a tarball's format and size, a redirect followed, an absent optional layer accepted", async () => {
    const r = await run("--fetch", "--hostname", "node7", `root=${base}/node7.tar|${base}/base.tar,${base}/old.tar,${base}/%hostname.tar|${base}/gone.tar#optional`);
    expect(r.out).toBe(
      "3 layer(s)\n" +
        `layer 1/3: ${base}/node7.tar | ${base}/base.tar\n` +
        `  ${base}/node7.tar: HTTP 404 Not Found\n` +
        `  ${base}/base.tar: tar, 310 KiB\n` +
        `layer 2/3: ${base}/old.tar\n` +
        `  ${base}/old.tar: tar, 310 KiB (redirected to ${base}/base.tar)\n` +
        `layer 3/3 #optional: ${base}/node7.tar | ${base}/gone.tar\n` +
        `  ${base}/node7.tar: HTTP 404 Not Found\n` +
        `  ${base}/gone.tar: HTTP 410 Gone\n` +
        "  layer 3/3 is #optional: a node goes on without it\n",
    );
    expect(r.code).toBe(0);
  });

  it("--fetch fails for a layer no source has, an optional one whose server fails, and a page that is not a tarball", async () => {
    const r = await run("--fetch", "--timeout", "2", `root=${base}/node7.tar,${base}/broken.tar#optional,${base}/page`);
    expect(r.code).toBe(1);
    expect(r.out).toContain(`  ${base}/node7.tar: HTTP 404 Not Found\n`);
    expect(r.out).toContain(`  ${base}/broken.tar: HTTP 500 Internal Server Error\n`);
    expect(r.out).not.toContain("goes on without it");
    expect(r.out).toContain(`  ${base}/page: not a tar archive (starts with 3c21444f43545950452068746d6c3e0a)\n`);
  });

  it("--fetch --key: the layer's signed manifest must verify, as on a node whose image trusts the key", async () => {
    const id = manifestKeyId(signed.keys.publicKey);
    const good = await run("--fetch", "--key", signed.publicKeyFile, `root=${base}/base.tar`);
    expect(good.out).toContain(`  manifest signed by ${id}, 310 KiB\n`);
    expect(good.code).toBe(0);
    const unsigned = await run("--fetch", "--key", signed.publicKeyFile, `root=${base}/other.tar`);
    expect(unsigned.out).toContain(`layer 1/1: no valid manifest: ${base}/other.tar.manifest: HTTP 404 Not Found`);
    expect(unsigned.code).toBe(1);
  });

  it("--image: the image's baked-in parameters and trusted keys, as a node with that image reads them", async () => {
    const id = manifestKeyId(signed.keys.publicKey);
    const cpio = async (entries: CpioEntry[]) => {
      const parts: Buffer[] = [];
      for await (const p of writeCpio(entries, { mtime: 0 })) parts.push(p);
      return Buffer.concat(parts);
    };
    const main = zstdCompressSync(
      await cpio([
        { type: "dir", path: "etc", mode: 0o755 },
        { type: "file", path: "etc/tarboot.conf", mode: 0o644, data: Buffer.from(`# site\nroot=${base}/base.tar\n`) },
      ]),
    );
    // The key in a cpio appended to the image (as a site adds one), after zero bytes up to a multiple of 4.
    const site = await cpio([
      { type: "dir", path: "etc/tarboot", mode: 0o755 },
      { type: "dir", path: "etc/tarboot/keys", mode: 0o755 },
      { type: "file", path: `etc/tarboot/keys/${id}.pub`, mode: 0o644, data: readFileSync(signed.publicKeyFile) },
    ]);
    const image = join(tmp, "initramfs.img");
    writeFileSync(image, Buffer.concat([main, Buffer.alloc((4 - (main.length % 4)) % 4), site]));
    const r = await run("--image", image, "--fetch");
    expect(r.out).toBe(
      `image ${image}: 1 baked-in parameter(s), trusted key(s) ${id}\n` +
        `1 layer(s)\nlayer 1/1: ${base}/base.tar\n  ${base}/base.tar: tar, 310 KiB\n  manifest signed by ${id}, 310 KiB\n`,
    );
    expect(r.code).toBe(0);
    // The command line wins over the image, as on a node; the image's key still applies.
    const other = await run("--image", image, "--fetch", `root=${base}/other.tar`);
    expect(other.out).toContain(`no valid manifest: ${base}/other.tar.manifest: HTTP 404 Not Found`);
    expect(other.code).toBe(1);
    expect(await checkCommand(["--image", image, "--defaults", "panic=5"])).toBe(2);
  });

  it("says what a node would do besides the layers, the image's defaults and the command line merged", async () => {
    const r = await run(
      "--defaults", "tarboot.proxy=http://ops:s3cret@proxy:3128 rootsize=4g panic=0",
      "root=http://srv/a.tar", "ip=10.0.0.5::10.0.0.1:255.255.255.0:n1:eth0:off:10.0.0.53", "tarboot.syslog=tcp://loghost", "tarboot.machine-id=mac",
    );
    expect(r.all.split("\n").filter((l) => SETTINGS.test(l))).toEqual([
      "network: static 10.0.0.5 netmask 255.255.255.0 via 10.0.0.1 on eth0, dns 10.0.0.53, hostname n1",
      "root: tmpfs of 4.00 GiB, mode 0755; then /sbin/init",
      "downloads: 8 attempt(s) per URL, 30s without progress, proxy http://proxy:3128",
      "clock: the lease's servers (DHCP option 42); syslog: tcp://loghost:514; machine-id: mac; on failure: wait forever (unless a rescue shell is in the image)",
    ]);
    expect(r.all).not.toContain("s3cret");
    const dhcp = await run("root=http://srv/a.tar", "BOOTIF=01-52-54-00-12-34-56", "tarboot.ntp=off", "rootsize=25%");
    expect(dhcp.all).toContain("network: DHCP on the interface with MAC 52:54:00:12:34:56\n");
    const v6 = await run("root=http://srv/a.tar", "ip=dhcp6", "tarboot.syslog=tcp://[fd00::514]:601", "tarboot.ntp=[fd00::123]");
    expect(v6.all).toContain("network: DHCPv6 (IPv6 only) on every Ethernet interface, first lease wins\n");
    expect(v6.all).toContain("clock: [fd00::123]:123; syslog: tcp://[fd00::514]:601;");
    expect((await run("root=http://srv/a.tar", "ip=dhcp6")).all).toContain("clock: the lease's servers (DHCPv6 option 56); syslog: none;");
    expect((await run("root=http://srv/a.tar", "tarboot.syslog=tls://loghost.example")).all).toContain("syslog: tls://loghost.example:6514;");
    expect((await run("root=http://srv/a.tar", "ip=auto6")).all).toContain("network: SLAAC and the router's DNS (IPv6 only) on every Ethernet interface");
    const static6 = await run("root=http://srv/a.tar", "ip=[fd00::5]::[fe80::1]:64:node5:eno1:none:[fd00::53]");
    expect(static6.all).toContain("network: static fd00::5/64 via fe80::1 on eno1, dns fd00::53, hostname node5\n");
    const vlan = await run("root=http://srv/a.tar", "vlan=vlan0100:eno1");
    expect(vlan.all).toContain("network: DHCP on vlan0100 (VLAN 100 on eno1; tarboot loads 8021q)\n");
    const bond = await run("root=http://srv/a.tar", "bond=bond0:eno1,eno2:mode=802.3ad,miimon=100:9000", "vlan=bond0.7:bond0");
    expect(bond.all).toContain("network: DHCP on bond0.7 (bond bond0 (802.3ad) of eno1, eno2, MTU 9000; VLAN 7 on bond0; tarboot loads bonding, 8021q)\n");
    const vmHost = await run("root=http://srv/a.tar", "vlan=eno1.100:eno1", "bridge=vmbr0:eno1.100");
    expect(vmHost.all).toContain("network: DHCP on vmbr0 (VLAN 100 on eno1; bridge vmbr0 of eno1.100; tarboot loads 8021q, bridge)\n");
    const badVlan = await run("root=http://srv/a.tar", "vlan=eno1.100:eno1", "ip=:::::eno1:dhcp");
    expect(badVlan.all).toContain("vlan=eno1.100:eno1: ip= names eno1 (the parent of eno1.100)");
    expect(dhcp.all).toContain("root: tmpfs of 25% of RAM, mode 0755; then /sbin/init\n");
    expect(dhcp.all).toContain("clock: off; syslog: the lease's log server (DHCP option 7), if any; machine-id: keep; on failure: reboot after 30s (unless a rescue shell is in the image)\n");
  });

  it("root=dhcp takes the layers from --root-path, as a node takes them from option 17", async () => {
    expect((await run("root=dhcp")).out).toMatch(/^error: root=dhcp: the layers come from the DHCP server's root path \(option 17\); give it with --root-path/);
    const r = await run("--root-path", "http://srv/a.tar.zst,http://srv/b.tar.zst", "root=dhcp");
    expect(r.out).toBe('2 layer(s) from root=dhcp\'s root path "http://srv/a.tar.zst,http://srv/b.tar.zst"\nlayer 1/2: http://srv/a.tar.zst\nlayer 2/2: http://srv/b.tar.zst\n');
  });
});
