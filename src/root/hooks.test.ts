import { chmodSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { BootError } from "../console/errors";
import { bootConfig, dhcpLease, tempDir } from "../testing/root-fixtures";
import { cLocaleSort, leaseEnv, listHooks, runHooks } from "./hooks";

let tmp: ReturnType<typeof tempDir>;
let scripts: string;
let log: string;
beforeEach(() => {
  tmp = tempDir("hooks");
  scripts = join(tmp.dir, "scripts");
  log = join(tmp.dir, "log");
});
afterEach(() => tmp.cleanup());

function hook(stage: string, name: string, body: string, mode = 0o755): string {
  const dir = join(scripts, `tarboot-${stage}`);
  mkdirSync(dir, { recursive: true });
  const path = join(dir, name);
  writeFileSync(path, `#!/bin/sh\n${body}\n`);
  chmodSync(path, mode);
  return path;
}

describe("runHooks", () => {
  it("runs the stage's executables in C-locale order", async () => {
    for (const name of ["a", "_x", "Z", "9-a", "10-b"]) hook("premount", name, `echo ${name} >> ${log}`);
    expect(await runHooks("premount", {}, scripts)).toBe(5);
    expect(readFileSync(log, "utf8")).toBe("10-b\n9-a\nZ\n_x\na\n");
  });

  it("gives the hooks the lease, the stage and the process environment", async () => {
    hook("bottom", "50-env", `env > ${log}`);
    const env = { ...leaseEnv(dhcpLease(), bootConfig({ hostname: "gpu3" })), TARBOOT_ROOT: "/root" };
    await runHooks("bottom", env, scripts);
    const seen = Object.fromEntries(
      readFileSync(log, "utf8")
        .trim()
        .split("\n")
        .map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]),
    );
    expect(seen).toMatchObject({
      TARBOOT_STAGE: "bottom",
      TARBOOT_ROOT: "/root",
      TARBOOT_IFACE: "eth0",
      TARBOOT_IP: "10.0.2.15",
      TARBOOT_PREFIX: "24",
      TARBOOT_NETMASK: "255.255.255.0",
      TARBOOT_GATEWAY: "10.0.2.2",
      TARBOOT_DNS: "10.0.2.3 10.0.2.4",
      TARBOOT_DOMAIN: "cluster.example",
      TARBOOT_SEARCH: "cluster.example lab.example",
      TARBOOT_HOSTNAME: "gpu3",
      TARBOOT_FQDN: "gpu3.cluster.example",
      TARBOOT_MAC: "52:54:00:12:34:56",
      DEVICE: "eth0",
      IPV4ADDR: "10.0.2.15",
      IPV4DNS0: "10.0.2.3",
      HOSTNAME: "gpu3",
      PATH: process.env.PATH,
    });
  });

  it("names the VLAN and its parent when vlan= made the boot interface", () => {
    const vlan = { name: "eth0.100", id: 100, parent: "eth0" };
    expect(leaseEnv({ ...dhcpLease(), iface: "eth0.100" }, bootConfig({ vlan }))).toMatchObject({
      TARBOOT_IFACE: "eth0.100",
      TARBOOT_VLAN_ID: "100",
      TARBOOT_VLAN_PARENT: "eth0",
      DEVICE: "eth0.100",
    });
    expect(leaseEnv(dhcpLease(), bootConfig({}))).not.toHaveProperty("TARBOOT_VLAN_ID");
  });

  it("names the bond, its slaves and options when bond= made the boot interface", () => {
    const bond = { name: "bond0", slaves: ["eth0", "eth1"], options: [{ name: "mode", value: "active-backup" }, { name: "miimon", value: "100" }] };
    expect(leaseEnv({ ...dhcpLease(), iface: "bond0" }, bootConfig({ bond }))).toMatchObject({
      TARBOOT_IFACE: "bond0",
      TARBOOT_BOND: "bond0",
      TARBOOT_BOND_SLAVES: "eth0,eth1",
      TARBOOT_BOND_OPTIONS: "mode=active-backup,miimon=100",
      DEVICE: "bond0",
    });
    const env = leaseEnv(dhcpLease(), bootConfig({ bond: { ...bond, options: [] } }));
    expect(env).not.toHaveProperty("TARBOOT_BOND_OPTIONS");
    expect(leaseEnv(dhcpLease(), bootConfig({}))).not.toHaveProperty("TARBOOT_BOND");
  });

  it("names the bridge and its ports when bridge= made the boot interface", () => {
    expect(leaseEnv({ ...dhcpLease(), iface: "vmbr0" }, bootConfig({ bridge: { name: "vmbr0", ports: ["eth0", "eth1"] } }))).toMatchObject({
      TARBOOT_IFACE: "vmbr0",
      TARBOOT_BRIDGE: "vmbr0",
      TARBOOT_BRIDGE_PORTS: "eth0,eth1",
    });
    expect(leaseEnv(dhcpLease(), bootConfig({}))).not.toHaveProperty("TARBOOT_BRIDGE");
  });

  it("skips what is not an executable file", async () => {
    hook("top", "10-run", `echo run >> ${log}`);
    hook("top", "20-plain", `echo plain >> ${log}`, 0o644);
    hook("top", "30-backup~", `echo backup >> ${log}`);
    hook("top", ".hidden", `echo hidden >> ${log}`);
    mkdirSync(join(scripts, "tarboot-top", "40-dir"));
    symlinkSync("/nonexistent", join(scripts, "tarboot-top", "50-dangling"));
    expect(listHooks(join(scripts, "tarboot-top"))).toEqual([join(scripts, "tarboot-top", "10-run")]);
    expect(await runHooks("top", {}, scripts)).toBe(1);
    expect(readFileSync(log, "utf8")).toBe("run\n");
  });

  it("stops the boot at a failing hook, naming it and its status", async () => {
    hook("premount", "10-ok", `echo ok >> ${log}`);
    const bad = hook("premount", "20-raid", "exit 3");
    hook("premount", "30-never", `echo never >> ${log}`);
    const err = await runHooks("premount", {}, scripts).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BootError);
    expect((err as BootError).stage).toBe("premount");
    expect((err as BootError).message).toBe(`site hook ${bad} failed with exit status 3`);
    expect(readFileSync(log, "utf8")).toBe("ok\n");
  });

  it("does nothing when the stage has no directory", async () => {
    expect(await runHooks("top", {}, join(tmp.dir, "none"))).toBe(0);
  });
});

describe("leaseEnv", () => {
  it("is empty without a lease and leaves absent values unset", () => {
    expect(leaseEnv(null)).toEqual({});
    const env = leaseEnv(dhcpLease({ gateway: undefined, domain: undefined, search: [], hostname: undefined }));
    expect(env.TARBOOT_GATEWAY).toBeUndefined();
    expect(env.TARBOOT_DOMAIN).toBeUndefined();
    expect(env.TARBOOT_SEARCH).toBeUndefined();
    expect(env.TARBOOT_HOSTNAME).toBeUndefined();
    // The initramfs-tools names keep ipconfig's spelling of "nothing".
    expect(env.IPV4GATEWAY).toBe("0.0.0.0");
    expect(env.DNSDOMAIN).toBe("");
  });

  it("sorts like LC_ALL=C", () => {
    expect(cLocaleSort(["b", "B", "é", "e", "1"])).toEqual(["1", "B", "b", "e", "é"]);
  });
});
