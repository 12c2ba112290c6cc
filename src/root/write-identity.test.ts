import { lstatSync, mkdirSync, readFileSync, readlinkSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { bootConfig, dhcpLease, tempDir } from "../testing/root-fixtures";
import { writeIdentity } from "./write-identity";

let tmp: ReturnType<typeof tempDir>;
let root: string;
let run: string;
beforeEach(() => {
  tmp = tempDir("identity");
  root = join(tmp.dir, "root");
  run = join(tmp.dir, "run");
  mkdirSync(join(root, "etc"), { recursive: true });
});
afterEach(() => tmp.cleanup());

const read = (p: string) => readFileSync(p, "utf8");

describe("writeIdentity", () => {
  it("writes the identity files, the ipconfig lease and lease.json", () => {
    const lease = dhcpLease();
    const res = writeIdentity(root, lease, bootConfig(), run);
    expect(res.written).toEqual(["/etc/hostname", "/etc/hosts", "/etc/resolv.conf", join(run, "net-eth0.conf"), join(run, "tarboot/lease.json")]);
    expect(read(join(root, "etc/hostname"))).toBe("node07\n");
    expect(read(join(root, "etc/resolv.conf"))).toContain("nameserver 10.0.2.3\n");
    expect(lstatSync(join(root, "etc/hosts")).mode & 0o7777).toBe(0o644);
    const conf = read(join(run, "net-eth0.conf"));
    expect(conf).toMatch(/^DEVICE='eth0'\nPROTO='dhcp'\n/);
    // UPTIME is the uptime when the lease was bound: now, give or take a second.
    const uptime = Number(read("/proc/uptime").split(" ")[0]);
    const written = Number(/UPTIME='(\d+)'/.exec(conf)?.[1]);
    expect(Math.abs(written - uptime)).toBeLessThan(3);
    expect(JSON.parse(read(join(run, "tarboot/lease.json")))).toEqual(lease);
  });

  it("keeps a password in the DHCP root path out of lease.json", () => {
    const lease = { ...dhcpLease(), rootPath: "https://ops:s3cret@srv/base.tar.zst" };
    writeIdentity(root, lease, bootConfig(), run);
    const text = read(join(run, "tarboot/lease.json"));
    expect(text).not.toContain("s3cret");
    expect(JSON.parse(text).rootPath).toBe("https://ops:***@srv/base.tar.zst");
  });

  it("overwrites the root's files without tarboot.keep-etc", () => {
    writeFileSync(join(root, "etc/hostname"), "template\n");
    writeIdentity(root, dhcpLease(), bootConfig(), run);
    expect(read(join(root, "etc/hostname"))).toBe("node07\n");
  });

  it("with tarboot.keep-etc, writes only what the root lacks", () => {
    writeFileSync(join(root, "etc/hostname"), "mine\n");
    symlinkSync("../run/systemd/resolve/stub-resolv.conf", join(root, "etc/resolv.conf"));
    const res = writeIdentity(root, dhcpLease(), bootConfig({ keepEtc: true }), run);
    expect(res.kept).toEqual(["/etc/hostname", "/etc/resolv.conf"]);
    expect(read(join(root, "etc/hostname"))).toBe("mine\n");
    expect(readlinkSync(join(root, "etc/resolv.conf"))).toBe("../run/systemd/resolve/stub-resolv.conf");
    expect(read(join(root, "etc/hosts"))).toContain("node07.cluster.example");
    // The lease for the booted system is not the root's to keep: it is always written.
    expect(read(join(run, "net-eth0.conf"))).toContain("DEVICE='eth0'");
  });

  it("replaces a resolv.conf symlink with a file and never writes through it", () => {
    // An absolute link in the root names a path of the initramfs (here: of the host); it must stay untouched.
    const outside = join(tmp.dir, "outside-resolv.conf");
    writeFileSync(outside, "nameserver 127.0.0.53\n");
    symlinkSync(outside, join(root, "etc/resolv.conf"));
    symlinkSync(outside, join(root, "etc/hosts"));
    writeIdentity(root, dhcpLease(), bootConfig(), run);
    expect(lstatSync(join(root, "etc/resolv.conf")).isFile()).toBe(true);
    expect(read(join(root, "etc/resolv.conf"))).toContain("nameserver 10.0.2.3\n");
    expect(lstatSync(join(root, "etc/hosts")).isFile()).toBe(true);
    expect(read(outside)).toBe("nameserver 127.0.0.53\n");
  });

  it("leaves the root's resolv.conf alone when the lease has no DNS servers", () => {
    symlinkSync("../run/systemd/resolve/stub-resolv.conf", join(root, "etc/resolv.conf"));
    const res = writeIdentity(root, dhcpLease({ dns: [] }), bootConfig(), run);
    expect(res.written).not.toContain("/etc/resolv.conf");
    expect(readlinkSync(join(root, "etc/resolv.conf"))).toBe("../run/systemd/resolve/stub-resolv.conf");
  });

  it("with ip=off and hostname=, writes hostname and hosts and nothing into /run", () => {
    const res = writeIdentity(root, null, bootConfig({ ip: { mode: "off" }, hostname: "solo" }), run);
    expect(res.written).toEqual(["/etc/hostname", "/etc/hosts"]);
    expect(read(join(root, "etc/hostname"))).toBe("solo\n");
  });

  it("creates a missing /etc and refuses an /etc that is a symlink", () => {
    const bare = join(tmp.dir, "bare");
    mkdirSync(bare);
    writeIdentity(bare, null, bootConfig({ hostname: "solo" }), run);
    expect(read(join(bare, "etc/hostname"))).toBe("solo\n");

    const linked = join(tmp.dir, "linked");
    const elsewhere = join(tmp.dir, "elsewhere");
    mkdirSync(linked);
    mkdirSync(elsewhere);
    symlinkSync(elsewhere, join(linked, "etc"));
    const res = writeIdentity(linked, null, bootConfig({ hostname: "solo" }), run);
    expect(res.written).toEqual([]);
    expect(res.kept).toEqual(["/etc/hostname", "/etc/hosts"]);
    expect(() => lstatSync(join(elsewhere, "hostname"))).toThrow();
  });
});
