import { describe, expect, it } from "vitest";
import { BootError } from "../console/errors";
import { CmdlineError, CmdlineErrors } from "./errors";
import { ACCEPTED, defaultBootConfig, deriveInitArgs, parseBootConfig, PARAM_NAMES, type BootConfigInput } from "./parse";
import type { BootConfig } from "./types";

const SHA = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
const ROOT = "root=http://srv/base.tar.xz";

function parse(cmdline: string, more: Omit<BootConfigInput, "cmdline"> = {}): BootConfig {
  return parseBootConfig({ cmdline, ...more });
}

function errorsOf(cmdline: string, more: Omit<BootConfigInput, "cmdline"> = {}): CmdlineErrors {
  try {
    parse(cmdline, more);
  } catch (err) {
    expect(err).toBeInstanceOf(CmdlineErrors);
    return err as CmdlineErrors;
  }
  throw new Error(`${cmdline} did not throw`);
}

/** The one error a command line gives; asserts it names the parameter, shows the value and says what is accepted. */
function oneError(cmdline: string, more: Omit<BootConfigInput, "cmdline"> = {}): CmdlineError {
  const all = errorsOf(cmdline, more);
  expect(all.errors).toHaveLength(1);
  const e = all.errors[0];
  expect(all.message).toBe(e.message);
  expect(e).toBeInstanceOf(BootError);
  expect(e.stage).toBe("cmdline");
  expect(e.message).toContain(e.value === undefined ? e.param : `${e.param}=`);
  if (e.value) expect(e.message).toContain(e.value);
  expect(e.message).toContain(`; accepted: ${e.accepted}`);
  return e;
}

describe("parseBootConfig: defaults", () => {
  it("gives the documented defaults for an empty command line", () => {
    const cfg = parse("");
    expect(cfg).toEqual({
      layers: [],
      mirrors: [],
      rootSize: { kind: "percent", percent: 50 },
      rootMode: 0o755,
      ip: { mode: "dhcp" },
      init: "/sbin/init",
      initArgs: [],
      breakAt: [],
      panic: 30,
      quiet: false,
      debug: false,
      retries: 8,
      timeout: 30,
      keepEtc: false,
      noProxy: [],
      netWait: 20,
      dhcpTimeout: 60,
      arpCheck: 0,
      machineId: "keep",
      ntp: { mode: "lease" },
    });
    expect(cfg).toEqual(defaultBootConfig());
    expect(cfg.bootif).toBeUndefined();
    expect(cfg.hostname).toBeUndefined();
    expect(cfg.ca).toBeUndefined();
  });
});

describe("parseBootConfig: seed examples", () => {
  it("root=http://srv/base.tar.xz,http://srv/%hostname.tar.gz rootsize=4g", () => {
    const cfg = parse("root=http://srv/base.tar.xz,http://srv/%hostname.tar.gz rootsize=4g");
    expect(cfg.layers).toEqual([
      { index: 1, raw: "http://srv/base.tar.xz", urls: ["http://srv/base.tar.xz"] },
      { index: 2, raw: "http://srv/%hostname.tar.gz", urls: ["http://srv/%hostname.tar.gz"] },
    ]);
    expect(cfg.rootSize).toEqual({ kind: "bytes", bytes: 4 * 1024 ** 3 });
    expect({ ...cfg, layers: [], rootSize: defaultBootConfig().rootSize }).toEqual(defaultBootConfig());
  });

  it("a full Debian-style PXE command line, the kernel's and init's parameters left alone", () => {
    const cmdline =
      "BOOT_IMAGE=/vmlinuz-6.1.0-18-amd64 initrd=initrd.img console=tty0 console=ttyS0,115200n8 quiet splash " +
      "net.ifnames=0 systemd.unit=multi-user.target apparmor=1 security=apparmor ro " +
      `root=http://10.0.0.1/images/base.tar.zst|http://10.0.0.2/images/base.tar.zst#sha256=${SHA},http://10.0.0.1/hosts/%hostname.tar.gz ` +
      "boot=tmpfs rootsize=75% ip=dhcp BOOTIF=01-52-54-00-12-34-56 tarboot.retries=3 tarboot.timeout=10 panic=10 " +
      "-- --log-level=info\n";
    const cfg = parse(cmdline);
    expect(cfg.layers).toEqual([
      {
        index: 1,
        raw: `http://10.0.0.1/images/base.tar.zst|http://10.0.0.2/images/base.tar.zst#sha256=${SHA}`,
        urls: ["http://10.0.0.1/images/base.tar.zst", "http://10.0.0.2/images/base.tar.zst"],
        sha256: SHA,
      },
      { index: 2, raw: "http://10.0.0.1/hosts/%hostname.tar.gz", urls: ["http://10.0.0.1/hosts/%hostname.tar.gz"] },
    ]);
    expect(cfg.rootSize).toEqual({ kind: "percent", percent: 75 });
    expect(cfg.ip).toEqual({ mode: "dhcp" });
    expect(cfg.bootif).toBe("52:54:00:12:34:56");
    expect(cfg.retries).toBe(3);
    expect(cfg.timeout).toBe(10);
    expect(cfg.panic).toBe(10);
    expect(cfg.quiet).toBe(true);
    expect(cfg.debug).toBe(false);
    // Without the kernel's argv: bare words without '.', minus tarboot's own, then what follows --.
    expect(cfg.initArgs).toEqual(["splash", "ro", "--log-level=info"]);
  });
});

describe("parseBootConfig: every parameter", () => {
  it("root= with boot=tmpfs", () => {
    expect(parse("root=http://a/b.tar boot=tmpfs").layers).toHaveLength(1);
  });

  it("root= that is not a URL is someone else's: no layers, no error", () => {
    for (const root of ["root=/dev/sda1", "root=UUID=0b6c1a3e", "root=LABEL=root", "root=/dev/nfs", "root=live:http://x/y.iso", "root=", "root"]) {
      expect(parse(`${root} ro`).layers).toEqual([]);
    }
    expect(parse("boot=nfs root=/dev/nfs").layers).toEqual([]);
  });

  it("root= with relative names needs mirrors; with them it is tarboot's even without boot=tmpfs", () => {
    const cfg = parse("root=base.tar.xz,site.tar.gz tarboot.mirrors=http://a/img,http://b/img/");
    expect(cfg.mirrors).toEqual(["http://a/img/", "http://b/img/"]);
    expect(cfg.layers.map((l) => l.urls)).toEqual([
      ["http://a/img/base.tar.xz", "http://b/img/base.tar.xz"],
      ["http://a/img/site.tar.gz", "http://b/img/site.tar.gz"],
    ]);
    expect(parse("root=base.tar.xz").layers).toEqual([]);
  });

  it("rootsize=", () => {
    expect(parse("rootsize=512m").rootSize).toEqual({ kind: "bytes", bytes: 512 * 2 ** 20 });
    expect(parse("rootsize=1048576").rootSize).toEqual({ kind: "bytes", bytes: 1048576 });
    expect(parse("rootsize=100k").rootSize).toEqual({ kind: "bytes", bytes: 102400 });
    expect(parse("rootsize=90%").rootSize).toEqual({ kind: "percent", percent: 90 });
  });

  it("rootmode=", () => {
    expect(parse("rootmode=0700").rootMode).toBe(0o700);
    expect(parse("rootmode=755").rootMode).toBe(0o755);
    expect(parse("rootmode=1777").rootMode).toBe(0o1777);
  });

  it("ip=", () => {
    expect(parse("ip=off").ip).toEqual({ mode: "off" });
    expect(parse("ip=none").ip).toEqual({ mode: "off" });
    expect(parse("ip=on").ip).toEqual({ mode: "dhcp" });
    expect(parse("ip=:::::eth1:dhcp").ip).toEqual({ mode: "dhcp", device: "eth1" });
    expect(parse("ip=10.0.0.5::10.0.0.1:255.255.255.0:node5:eth0:off:10.0.0.1").ip).toEqual({
      mode: "static",
      client: "10.0.0.5",
      gateway: "10.0.0.1",
      netmask: "255.255.255.0",
      hostname: "node5",
      device: "eth0",
      dns: ["10.0.0.1"],
    });
  });

  it("hostname= wins over the one in ip=, which stands in when hostname= is not given", () => {
    expect(parse("ip=::::fromip:eth0:dhcp").hostname).toBe("fromip");
    expect(parse("ip=::::fromip:eth0:dhcp hostname=given").hostname).toBe("given");
    expect(parse("hostname=node17.cluster.example").hostname).toBe("node17.cluster.example");
    expect(parse("hostname=").hostname).toBeUndefined();
    expect("hostname" in parse("hostname=", { defaults: "hostname=baked" })).toBe(false);
    expect(parse("", { defaults: "hostname=baked" }).hostname).toBe("baked");
  });

  it("BOOTIF=", () => {
    expect(parse("BOOTIF=01-aa-bb-cc-dd-ee-ff").bootif).toBe("aa:bb:cc:dd:ee:ff");
    expect("bootif" in parse("BOOTIF=")).toBe(false);
    expect(oneError("BOOTIF").message).toBe(`BOOTIF: needs a value; accepted: ${ACCEPTED.BOOTIF}`);
  });

  it("vlan=: the ID from the name, as dracut reads it", () => {
    expect(parse("vlan=eth0.100:eth0").vlan).toEqual({ name: "eth0.100", id: 100, parent: "eth0" });
    expect(parse("vlan=vlan0042:enp1s0").vlan).toEqual({ name: "vlan0042", id: 42, parent: "enp1s0" });
    expect(parse("vlan=boot.7:eth1 ip=:::::boot.7:dhcp").vlan).toEqual({ name: "boot.7", id: 7, parent: "eth1" });
    expect("vlan" in parse("vlan=", { defaults: "vlan=eth0.5:eth0" })).toBe(false);
  });

  it("vlan=: bad values name what is wrong", () => {
    const msg = (c: string) => oneError(c).message.replace(`; accepted: ${ACCEPTED.vlan}`, "");
    expect(msg("vlan=eth0.100")).toBe("vlan=eth0.100: needs <name>:<parent>");
    expect(msg("vlan=eth0.100:")).toBe("vlan=eth0.100:: an empty interface name");
    expect(msg("vlan=storage:eth0")).toBe('vlan=storage:eth0: the name "storage" gives no VLAN ID: write <parent>.<id> or vlan<id>');
    expect(msg("vlan=eth0.4095:eth0")).toBe("vlan=eth0.4095:eth0: VLAN ID 4095 is outside 1-4094");
    expect(msg("vlan=vlan0:eth0")).toBe("vlan=vlan0:eth0: VLAN ID 0 is outside 1-4094");
    expect(msg("vlan=eth0.5:eth0.5")).toBe('vlan=eth0.5:eth0.5: the VLAN and its parent are both "eth0.5"');
    expect(msg("vlan=averylongname.55:eth0")).toBe('vlan=averylongname.55:eth0: device "averylongname.55" is longer than 15 characters');
  });

  it("vlan=: ip= must leave the device out or name the VLAN", () => {
    const msg = (c: string) => oneError(c).message.replace(`; accepted: ${ACCEPTED.vlan}`, "");
    expect(msg("vlan=eth0.100:eth0 ip=:::::eth0:dhcp")).toBe(
      "vlan=eth0.100:eth0: ip= names eth0 (the parent of eth0.100), but the lease is sought on eth0.100: name eth0.100 in ip= or leave its device out",
    );
    expect(msg("vlan=eth0.100:eth0 ip=10.0.0.5:::255.255.255.0::eth1:off")).toMatch(/ip= names eth1 \(another interface\)/);
    expect(msg("vlan=eth0.100:eth0 ip=off")).toBe("vlan=eth0.100:eth0: the VLAN would carry the boot network, but ip= says off");
    expect(parse("vlan=eth0.100:eth0 ip=10.0.0.5:::255.255.255.0::eth0.100:off").ip).toMatchObject({ mode: "static", device: "eth0.100" });
  });

  it("bond=: dracut's fields, its defaults, the mode first and by name", () => {
    expect(parse("bond=bond0:eth0,eth1:mode=active-backup,miimon=100").bond).toEqual({
      name: "bond0",
      slaves: ["eth0", "eth1"],
      options: [{ name: "mode", value: "active-backup" }, { name: "miimon", value: "100" }],
    });
    expect(parse("bond=bond0").bond).toEqual({ name: "bond0", slaves: ["eth0", "eth1"], options: [] });
    expect(parse("bond=uplink:eth2,eth3,eth4::9000").bond).toEqual({ name: "uplink", slaves: ["eth2", "eth3", "eth4"], options: [], mtu: 9000 });
    // The driver takes a mode only while the bond has no slaves: it is written first whatever the order.
    expect(parse("bond=bond0:eth0,eth1:xmit-hash-policy=layer3+4,mode=4,lacp_rate=fast").bond?.options).toEqual([
      { name: "mode", value: "802.3ad" },
      { name: "xmit_hash_policy", value: "layer3+4" },
      { name: "lacp_rate", value: "fast" },
    ]);
    expect(parse("bond=bond0:eth0,eth1:mode=active-backup,arp_interval=200,arp_ip_target=10.0.0.1;10.0.0.2").bond?.options[2]).toEqual({
      name: "arp_ip_target",
      value: "10.0.0.1;10.0.0.2",
    });
    expect("bond" in parse("bond=", { defaults: "bond=bond0:eth0,eth1" })).toBe(false);
  });

  it("bond=: bad values name what is wrong", () => {
    const msg = (c: string) => oneError(c).message.replace(`; accepted: ${ACCEPTED.bond}`, "");
    expect(msg("bond=bond0:eth0,eth1:mode=lacp")).toBe(
      'bond=bond0:eth0,eth1:mode=lacp: mode "lacp" is not one of balance-rr, active-backup, balance-xor, broadcast, 802.3ad, balance-tlb, balance-alb (or 0-6)',
    );
    expect(msg("bond=bond0:eth0,eth1:miimon=100ms")).toBe("bond=bond0:eth0,eth1:miimon=100ms: option miimon=100ms: not a whole number");
    expect(msg("bond=bond0:eth0,eth1:mimon=100")).toBe('bond=bond0:eth0,eth1:mimon=100: "mimon" is not a bonding option (see modinfo bonding)');
    expect(msg("bond=bond0:eth0,eth1:miimon")).toBe('bond=bond0:eth0,eth1:miimon: option "miimon" is not key=value');
    expect(msg("bond=bond0:eth0,eth0")).toBe("bond=bond0:eth0,eth0: slave eth0 is listed twice");
    expect(msg("bond=bond0:bond0,eth1")).toBe("bond=bond0:bond0,eth1: the bond bond0 cannot be its own slave");
    expect(msg("bond=bond0:eth0,,eth1")).toBe("bond=bond0:eth0,,eth1: an empty interface name");
    expect(msg("bond=bond0:eth0,eth1::70000")).toBe('bond=bond0:eth0,eth1::70000: MTU "70000" is not a whole number from 68 to 65535');
    expect(msg("bond=bond0:eth0,eth1:mode=1,miimon=1,miimon=2")).toMatch(/option miimon is given twice$/);
    expect(msg("bond=bond0:eth0,eth1:arp_ip_target=10.0.0.1,10.0.0.2")).toBe('bond=bond0:eth0,eth1:arp_ip_target=10.0.0.1,10.0.0.2: option "10.0.0.2" is not key=value');
    expect(msg("bond=bond0:eth0,eth1:arp_ip_target=10.0.0.1;gw")).toBe(
      'bond=bond0:eth0,eth1:arp_ip_target=10.0.0.1;gw: option arp_ip_target: "gw" not an IPv4 address (several are separated by ;)',
    );
    expect(msg("bond=bond0:eth0:mode=1:1500:x")).toBe("bond=bond0:eth0:mode=1:1500:x: more than <name>:<slaves>:<options>:<mtu>");
  });

  it("bond=: the lease is sought on the bond, or on a VLAN over it", () => {
    const msg = (c: string) => oneError(c).message.replace(`; accepted: ${ACCEPTED.bond}`, "");
    expect(parse("bond=bond0:eth0,eth1 ip=:::::bond0:dhcp").ip).toEqual({ mode: "dhcp", device: "bond0" });
    expect(parse("bond=bond0:eth0,eth1 vlan=bond0.7:bond0").vlan).toEqual({ name: "bond0.7", id: 7, parent: "bond0" });
    expect(msg("bond=bond0:eth0,eth1 ip=:::::eth1:dhcp")).toBe(
      "bond=bond0:eth0,eth1: ip= names eth1 (a slave of bond0), but the lease is sought on bond0: name bond0 in ip= or leave its device out",
    );
    expect(msg("bond=bond0:eth0,eth1 ip=off")).toBe("bond=bond0:eth0,eth1: the bond would carry the boot network, but ip= says off");
    expect(oneError("bond=bond0:eth0,eth1 vlan=eth0.7:eth0").message).toBe(
      `vlan=eth0.7:eth0: eth0 is a slave of the bond bond0 (bond=): the VLAN would see no traffic on it; put it on the bond, vlan=bond0.7:bond0; accepted: ${ACCEPTED.vlan}`,
    );
    expect(oneError("bond=bond0:eth0,eth1 vlan=eth2.7:eth2").message).toMatch(
      /^vlan=eth2\.7:eth2: the bond bond0 \(bond=\) and the VLAN eth2\.7 \(vlan=\) would both be made, but the lease is sought on one interface: make one over the other;/,
    );
    expect(msg("bond=bond0:eth1,eth0.7 vlan=eth0.7:eth0")).toBe("bond=bond0:eth1,eth0.7: the VLAN eth0.7 (vlan=) cannot be a slave of the bond: its slaves are NICs");
    expect(msg("bond=bond0:eth0,eth1:mode=802.3ad,active_slave=eth0")).toBe(
      "bond=bond0:eth0,eth1:mode=802.3ad,active_slave=eth0: active_slave is for mode=active-backup, and this bond's mode is 802.3ad",
    );
    // ip= naming a slave with a VLAN on the bond is vlan='s error, told as a slave.
    expect(oneError("bond=bond0:eth0,eth1 vlan=bond0.7:bond0 ip=:::::eth0:dhcp").message).toMatch(/^vlan=bond0\.7:bond0: ip= names eth0 \(a slave of bond0\), but the lease is sought on bond0\.7:/);
    expect(oneError("bond=bond0:eth0,eth1 vlan=bond0.7:bond0 ip=:::::bond0:dhcp").message).toMatch(/^vlan=bond0\.7:bond0: ip= names bond0 \(the parent of bond0\.7\)/);
  });

  it("bridge=: the ports, eth0 by default, and how it stacks with bond= and vlan=", () => {
    expect(parse("bridge=br0:eth0,eth1").bridge).toEqual({ name: "br0", ports: ["eth0", "eth1"] });
    expect(parse("bridge=br0").bridge).toEqual({ name: "br0", ports: ["eth0"] });
    expect(parse("bridge=br0:").bridge).toEqual({ name: "br0", ports: ["eth0"] });
    expect(parse("bond=bond0:eth0,eth1 bridge=br0:bond0 ip=:::::br0:dhcp").bridge).toEqual({ name: "br0", ports: ["bond0"] });
    // A VM host on a tagged network (the VLAN a port), and a VLAN of the bridge: both stack.
    expect(parse("vlan=eth0.100:eth0 bridge=vmbr0:eth0.100").bridge?.ports).toEqual(["eth0.100"]);
    expect(parse("bridge=br0:eth0 vlan=br0.5:br0").vlan?.parent).toBe("br0");
    expect("bridge" in parse("bridge=", { defaults: "bridge=br0:eth0" })).toBe(false);
  });

  it("bridge=: bad values and stacks name what is wrong", () => {
    const msg = (c: string) => oneError(c).message.replace(`; accepted: ${ACCEPTED.bridge}`, "");
    expect(msg("bridge=br0:eth0,eth0")).toBe("bridge=br0:eth0,eth0: port eth0 is listed twice");
    expect(msg("bridge=br0:br0")).toBe("bridge=br0:br0: the bridge br0 cannot be its own port");
    expect(msg("bridge=br0:eth0 ip=off")).toBe("bridge=br0:eth0: the bridge would carry the boot network, but ip= says off");
    expect(msg("bridge=br0:eth0 ip=:::::eth0:dhcp")).toBe("bridge=br0:eth0: ip= names eth0 (a port of br0), but the lease is sought on br0: name br0 in ip= or leave its device out");
    expect(msg("bond=bond0:eth0,eth1 bridge=br0:eth1")).toBe(
      "bridge=br0:eth1: eth1 is a slave of the bond bond0 (bond=): the bridge would see no traffic on it; put it on the bond, bridge=br0:bond0",
    );
    expect(msg("bridge=br0:eth0.5 vlan=eth0.5:br0")).toBe("bridge=br0:eth0.5: the VLAN eth0.5 (vlan=) and the bridge br0 (bridge=) are each made over the other");
    expect(msg("bridge=bond0:eth2 bond=bond0:eth0,eth1")).toBe("bridge=bond0:eth2: bond0 is also the name of the bond bond0 (bond=)");
    expect(oneError("vlan=eth0.100:eth0 bridge=vmbr0:eth0.100 ip=:::::eth0.100:dhcp").message).toMatch(
      /^bridge=vmbr0:eth0\.100: ip= names eth0\.100 \(a port of vmbr0\), but the lease is sought on vmbr0:/,
    );
  });

  it("ip=dhcp6 and ip=auto6: no root=dhcp (option 17 is DHCPv4's) and no ARP check", () => {
    expect(parse(`${ROOT} ip=dhcp6`).ip).toEqual({ mode: "dhcp6" });
    expect(oneError("root=dhcp ip=dhcp6").message).toBe(`root=dhcp: the root path is a DHCPv4 option (17), and ip=dhcp6 has none: give the layers in root=; accepted: ${ACCEPTED.root}`);
    expect(parse(`${ROOT} ip=auto6`).ip).toEqual({ mode: "auto6" });
    expect(oneError("root=dhcp ip=auto6").message).toMatch(/^root=dhcp: the root path is a DHCPv4 option \(17\), and ip=auto6 has none/);
    expect(oneError(`${ROOT} ip=auto6 tarboot.arp-check=300`).message).toMatch(/^tarboot.arp-check=300: ARP is IPv4's: with ip=auto6 /);
    expect(oneError(`${ROOT} ip=[fd00::5]:::64:::off tarboot.arp-check=300`).message).toMatch(/^tarboot.arp-check=300: ARP is IPv4's: with a static IPv6 ip= /);
    expect(oneError(`${ROOT} ip=dhcp6 tarboot.arp-check=300`).message).toBe(
      `tarboot.arp-check=300: ARP is IPv4's: with ip=dhcp6 the kernel's duplicate address detection checks the address; accepted: ${ACCEPTED["tarboot.arp_check"]}`,
    );
  });

  it("init=", () => {
    expect(parse("init=/lib/systemd/systemd").init).toBe("/lib/systemd/systemd");
  });

  it("break and break=", () => {
    expect(parse("break").breakAt).toEqual(["premount"]);
    expect(parse("break=top").breakAt).toEqual(["top"]);
    expect(parse("break=init,mount").breakAt).toEqual(["mount", "init"]);
    expect(parse("break=bottom break=").breakAt).toEqual([]);
  });

  it("panic=, negative meaning reboot at once (as the kernel)", () => {
    expect(parse("panic=0").panic).toBe(0);
    expect(parse("panic=120").panic).toBe(120);
    expect(parse("panic=-1").panic).toBe(-1);
    expect(parse("panic=-30").panic).toBe(-1);
  });

  it("quiet, debug and tarboot.keep-etc, bare or with a yes/no value", () => {
    const on = parse("quiet debug tarboot.keep-etc");
    expect([on.quiet, on.debug, on.keepEtc]).toEqual([true, true, true]);
    const off = parse("quiet=0 debug=no tarboot.keep-etc=off");
    expect([off.quiet, off.debug, off.keepEtc]).toEqual([false, false, false]);
  });

  it("tarboot.retries=, tarboot.timeout=, tarboot.netwait=, tarboot.dhcp-timeout=, tarboot.arp-check=", () => {
    const cfg = parse("tarboot.retries=1 tarboot.timeout=300 tarboot.netwait=0 tarboot.dhcp-timeout=5 tarboot.arp-check=250");
    expect([cfg.retries, cfg.timeout, cfg.netWait, cfg.dhcpTimeout, cfg.arpCheck]).toEqual([1, 300, 0, 5, 250]);
    expect(parse("tarboot.arp_check=0").arpCheck).toBe(0);
  });

  it("tarboot.ntp=: off, or servers with optional ports; the lease's by default", () => {
    expect(parse("").ntp).toEqual({ mode: "lease" });
    expect(parse("tarboot.ntp=off").ntp).toEqual({ mode: "off" });
    expect(parse("tarboot.ntp=10.0.0.1,10.0.0.2:1123").ntp).toEqual({
      mode: "servers",
      servers: [
        { host: "10.0.0.1", port: 123 },
        { host: "10.0.0.2", port: 1123 },
      ],
    });
    expect(parse("tarboot.ntp=ntp1,ntp2.site.example:1123").ntp).toEqual({
      mode: "servers",
      servers: [
        { host: "ntp1", port: 123 },
        { host: "ntp2.site.example", port: 1123 },
      ],
    });
  });

  it("tarboot.machine-id=: keep by default; mac, dmi, empty; anything else named", () => {
    expect(parse("").machineId).toBe("keep");
    for (const mode of ["keep", "mac", "dmi", "empty"]) expect(parse(`tarboot.machine-id=${mode}`).machineId).toBe(mode);
    expect(parse("tarboot.machine_id=mac", { defaults: "tarboot.machine-id=empty" }).machineId).toBe("mac");
    expect(oneError("tarboot.machine-id=random").message).toBe(
      `tarboot.machine-id=random: "random" is not one of keep, mac, dmi, empty; accepted: ${ACCEPTED["tarboot.machine_id"]}`,
    );
  });

  it("tarboot.syslog=: a server, port 514 unless given; empty unsets a baked-in one", () => {
    expect(parse("tarboot.syslog=10.0.0.1").syslog).toEqual({ host: "10.0.0.1", port: 514, transport: "udp" });
    expect(parse("tarboot.syslog=10.0.0.1:1514").syslog).toEqual({ host: "10.0.0.1", port: 1514, transport: "udp" });
    expect(parse("tarboot.syslog=loghost").syslog).toEqual({ host: "loghost", port: 514, transport: "udp" });
    expect(parse("tarboot.syslog=log-1.site.example.:1514").syslog).toEqual({ host: "log-1.site.example.", port: 1514, transport: "udp" });
    expect(parse("tarboot.syslog=tcp://loghost:601").syslog).toEqual({ host: "loghost", port: 601, transport: "tcp" });
    expect(parse("tarboot.syslog=tcp://[fd00::514]:601").syslog).toEqual({ host: "fd00::514", port: 601, transport: "tcp" });
    expect(parse("tarboot.syslog=[::1]").syslog).toEqual({ host: "::1", port: 514, transport: "udp" });
    // RFC 5425's port unless given.
    expect(parse("tarboot.syslog=tls://loghost.example").syslog).toEqual({ host: "loghost.example", port: 6514, transport: "tls" });
    expect(parse("tarboot.syslog=TLS://[fd00::514]:10514").syslog).toEqual({ host: "fd00::514", port: 10514, transport: "tls" });
    // off: not even the lease's log server (DHCP option 7).
    expect(parse("tarboot.syslog=off").syslog).toBe("off");
    expect(parse("tarboot.ntp=[fd77::123],10.0.0.1:1123").ntp).toEqual({ mode: "servers", servers: [{ host: "fd77::123", port: 123 }, { host: "10.0.0.1", port: 1123 }] });
    expect(parse("tarboot.syslog=UDP://10.0.0.1").syslog).toEqual({ host: "10.0.0.1", port: 514, transport: "udp" });
    expect("syslog" in parse("")).toBe(false);
    expect("syslog" in parse("tarboot.syslog=", { defaults: "tarboot.syslog=10.0.0.1" })).toBe(false);
  });

  it("root=dhcp: the layers come with the lease, also when mirrors are set; not without DHCP", () => {
    const cfg = parse("root=dhcp");
    expect([cfg.rootFromDhcp, cfg.layers]).toEqual([true, []]);
    expect(parse("root=dhcp tarboot.mirrors=http://m/").rootFromDhcp).toBe(true);
    expect(() => parse("root=dhcp ip=off")).toThrow(`root=dhcp: the root path comes with the DHCP lease, but ip= says off; accepted: ${ACCEPTED.root}`);
  });

  it("tarboot.ca=", () => {
    expect(parse("tarboot.ca=/etc/ssl/site-ca.pem").ca).toBe("/etc/ssl/site-ca.pem");
    expect("ca" in parse("tarboot.ca=", { defaults: "tarboot.ca=/etc/ca.pem" })).toBe(false);
  });

  it("tarboot.proxy=, tarboot.no-proxy=", () => {
    const cfg = parse("tarboot.proxy=http://u:p@proxy.example:3128 tarboot.no-proxy=bootsrv,.cluster.example,10.0.0.5,fd00::1,10.8.0.0/16,fd00:10::/32");
    expect(cfg.proxy).toEqual({ url: "http://proxy.example:3128", host: "proxy.example", port: 3128, authorization: `Basic ${Buffer.from("u:p").toString("base64")}` });
    expect(cfg.noProxy).toEqual(["bootsrv", ".cluster.example", "10.0.0.5", "fd00::1", "10.8.0.0/16", "fd00:10::/32"]);
    expect(parse("").noProxy).toEqual([]);
    expect("proxy" in parse("tarboot.proxy=", { defaults: "tarboot.proxy=http://p:3128" })).toBe(false);
  });

  it("takes - and _ as the same in names, like the kernel", () => {
    const cfg = parse("tarboot.keep_etc tarboot.dhcp_timeout=7");
    expect(cfg.keepEtc).toBe(true);
    expect(cfg.dhcpTimeout).toBe(7);
  });

  it("lets the last of a repeated parameter win, like the kernel", () => {
    const cfg = parse("rootsize=banana rootsize=1g root=http://a/1 root=http://b/2 quiet quiet=0");
    expect(cfg.rootSize).toEqual({ kind: "bytes", bytes: 2 ** 30 });
    expect(cfg.layers.map((l) => l.raw)).toEqual(["http://b/2"]);
    expect(cfg.quiet).toBe(false);
  });

  it("handles quoted values as the kernel does", () => {
    expect(parse('"root=http://a/b.tar,http://a/c.tar" init="/sbin/init"').layers).toHaveLength(2);
    expect(parse('init="/sbin/init"').init).toBe("/sbin/init");
    expect(oneError('hostname="my node"').message).toBe(
      `hostname="my node": label "my node" is not letters, digits and inner hyphens; accepted: ${ACCEPTED.hostname}`,
    );
  });

  it("lists every parameter it reads", () => {
    expect([...PARAM_NAMES].sort()).toEqual(
      [
        "root",
        "boot",
        "rootsize",
        "rootmode",
        "ip",
        "vlan",
        "bond",
        "bridge",
        "BOOTIF",
        "hostname",
        "init",
        "break",
        "panic",
        "quiet",
        "debug",
        "tarboot.mirrors",
        "tarboot.retries",
        "tarboot.timeout",
        "tarboot.ca",
        "tarboot.proxy",
        "tarboot.no-proxy",
        "tarboot.keep-etc",
        "tarboot.netwait",
        "tarboot.dhcp-timeout",
        "tarboot.arp-check",
        "tarboot.ntp",
        "tarboot.syslog",
        "tarboot.machine-id",
      ].sort(),
    );
  });
});

describe("parseBootConfig: error messages name the parameter, show the value and say what is accepted", () => {
  const cases: [string, string][] = [
    ["rootsize=banana", `rootsize=banana: not a size; accepted: bytes with optional k/m/g suffix (binary) or N% of RAM, e.g. rootsize=4g or rootsize=50%`],
    ["rootsize=0", `rootsize=0: 0 leaves no room for the root; accepted: ${ACCEPTED.rootsize}`],
    ["rootsize=150%", `rootsize=150%: more than 100% of RAM; accepted: ${ACCEPTED.rootsize}`],
    ["rootsize", `rootsize: needs a value; accepted: ${ACCEPTED.rootsize}`],
    ["rootmode=999", `rootmode=999: not an octal mode; accepted: an octal mode up to 07777, e.g. rootmode=0755`],
    ["rootmode=77777", `rootmode=77777: more than 07777; accepted: ${ACCEPTED.rootmode}`],
    ["ip=1.2.3", `ip=1.2.3: client-ip "1.2.3" is not an IPv4 address (four numbers 0-255, dotted); accepted: ${ACCEPTED.ip}`],
    ["ip=bootp", `ip=bootp: bootp is not supported (only DHCP); accepted: ${ACCEPTED.ip}`],
    ["BOOTIF=01-zz", `BOOTIF=01-zz: not a hardware address; accepted: ${ACCEPTED.BOOTIF}`],
    ["hostname=-x", `hostname=-x: label "-x" is not letters, digits and inner hyphens; accepted: ${ACCEPTED.hostname}`],
    ["init=sbin/init", `init=sbin/init: not an absolute path; accepted: an absolute path, e.g. init=/sbin/init`],
    ["init=", `init=: empty; accepted: ${ACCEPTED.init}`],
    ["break=modules", `break=modules: unknown stage "modules"; accepted: ${ACCEPTED.break}`],
    ["panic=soon", `panic=soon: not a whole number; accepted: ${ACCEPTED.panic}`],
    ["quiet=maybe", `quiet=maybe: not a yes/no value; accepted: the bare flag, or =1/0, yes/no, y/n, true/false, on/off`],
    ["debug=2", `debug=2: not a yes/no value; accepted: ${ACCEPTED.debug}`],
    ["tarboot.keep-etc=perhaps", `tarboot.keep-etc=perhaps: not a yes/no value; accepted: ${ACCEPTED["tarboot.keep_etc"]}`],
    ["tarboot.retries=0", `tarboot.retries=0: out of range (1 to 1000); accepted: a whole number of attempts from 1 to 1000, e.g. tarboot.retries=8`],
    ["tarboot.timeout=1.5", `tarboot.timeout=1.5: not a whole number; accepted: ${ACCEPTED["tarboot.timeout"]}`],
    ["tarboot.netwait=-1", `tarboot.netwait=-1: out of range (0 to 86400); accepted: ${ACCEPTED["tarboot.netwait"]}`],
    ["tarboot.dhcp-timeout=0", `tarboot.dhcp-timeout=0: out of range (1 to 86400); accepted: ${ACCEPTED["tarboot.dhcp_timeout"]}`],
    ["tarboot.arp-check=20000", `tarboot.arp-check=20000: out of range (0 to 10000); accepted: ${ACCEPTED["tarboot.arp_check"]}`],
    ["tarboot.arp-check=0.3", `tarboot.arp-check=0.3: not a whole number; accepted: ${ACCEPTED["tarboot.arp_check"]}`],
    ["tarboot.ntp=", `tarboot.ntp=: empty (off turns the clock setting off); accepted: ${ACCEPTED["tarboot.ntp"]}`],
    ["tarboot.ntp=pool_ntp", `tarboot.ntp=pool_ntp: server 1 "pool_ntp" is not an IPv4 address, [IPv6 address] or host name with an optional :port; accepted: ${ACCEPTED["tarboot.ntp"]}`],
    ["tarboot.ntp=10.0.0.1,10.0.0.256", `tarboot.ntp=10.0.0.1,10.0.0.256: server 2 "10.0.0.256" is not an IPv4 address, [IPv6 address] or host name with an optional :port; accepted: ${ACCEPTED["tarboot.ntp"]}`],
    ["tarboot.ntp=ntp..example", `tarboot.ntp=ntp..example: server 1 "ntp..example" is not an IPv4 address, [IPv6 address] or host name with an optional :port; accepted: ${ACCEPTED["tarboot.ntp"]}`],
    ["tarboot.ntp=10.0.0.1:0", `tarboot.ntp=10.0.0.1:0: server 1 "10.0.0.1:0": port 0 is out of range (1 to 65535); accepted: ${ACCEPTED["tarboot.ntp"]}`],
    ["tarboot.syslog=log_host", `tarboot.syslog=log_host: "log_host" is not an IPv4 address, [IPv6 address] or host name with an optional :port; accepted: ${ACCEPTED["tarboot.syslog"]}`],
    ["tarboot.syslog=relp://loghost:2514", `tarboot.syslog=relp://loghost:2514: "relp://loghost:2514": the transport is udp:// (the default), tcp:// or tls://; accepted: ${ACCEPTED["tarboot.syslog"]}`],
    ["tarboot.syslog=[::1:514", `tarboot.syslog=[::1:514: "[::1:514" is not an IPv4 address, [IPv6 address] or host name with an optional :port; accepted: ${ACCEPTED["tarboot.syslog"]}`],
    ["tarboot.syslog=[fe80::zz]", `tarboot.syslog=[fe80::zz]: "[fe80::zz]" is not an IPv4 address, [IPv6 address] or host name with an optional :port; accepted: ${ACCEPTED["tarboot.syslog"]}`],
    ["tarboot.ca=ca.pem", `tarboot.ca=ca.pem: not an absolute path; accepted: ${ACCEPTED["tarboot.ca"]}`],
    ["tarboot.proxy=https://p:3128", `tarboot.proxy=https://p:3128: the proxy is spoken to in plain HTTP (http://host:port), not https:; accepted: ${ACCEPTED["tarboot.proxy"]}`],
    ["tarboot.proxy=proxy:3128", `tarboot.proxy=proxy:3128: the proxy is spoken to in plain HTTP (http://host:port), not proxy:; accepted: ${ACCEPTED["tarboot.proxy"]}`],
    ["tarboot.no-proxy=a,b/c", `tarboot.no-proxy=a,b/c: entry 2 "b/c" is not a host name, .domain, IP address, a.b.c.d/n or x::/n range, or *; accepted: ${ACCEPTED["tarboot.no_proxy"]}`],
    ["tarboot.no-proxy=fd00::/129", `tarboot.no-proxy=fd00::/129: entry 1 "fd00::/129" is not a host name, .domain, IP address, a.b.c.d/n or x::/n range, or *; accepted: ${ACCEPTED["tarboot.no_proxy"]}`],
    ["tarboot.no-proxy=a,", `tarboot.no-proxy=a,: entry 2 is empty (a doubled or trailing comma?); accepted: ${ACCEPTED["tarboot.no_proxy"]}`],
    ["tarboot.mirrors=ftp://m/", `tarboot.mirrors=ftp://m/: mirror 1 "ftp://m/": not an http:// or https:// URL; accepted: ${ACCEPTED["tarboot.mirrors"]}`],
    ["root=ftp://x", `root=ftp://x: layer 1 "ftp://x": not an http:// or https:// URL; accepted: ${ACCEPTED.root}`],
    ["root=http://a/b,,http://a/c", `root=http://a/b,,http://a/c: layer 2 is empty (a doubled or trailing comma?); accepted: ${ACCEPTED.root}`],
    ["root=http://a/b,", `root=http://a/b,: layer 2 is empty (a doubled or trailing comma?); accepted: ${ACCEPTED.root}`],
    [
      "root=http://a/b.tar#sha256=xyz",
      `root=http://a/b.tar#sha256=xyz: layer 1 "http://a/b.tar#sha256=xyz": bad sha256 "xyz": needs exactly 64 hex digits; accepted: ${ACCEPTED.root}`,
    ],
    [
      "root=http://srv/%host.tar",
      `root=http://srv/%host.tar: layer 1 "http://srv/%host.tar": unknown template %host (known: %hostname %fqdn %mac %ip %arch %kernel %uuid; %XX with two hex digits is a URL escape); accepted: ${ACCEPTED.root}`,
    ],
    ['root="http://a/b c.tar"', `root="http://a/b c.tar": layer 1 "http://a/b c.tar": contains a space, quote, backslash or control character; accepted: ${ACCEPTED.root}`],
    ["boot=tmpfs root=/dev/sda1", `root=/dev/sda1: layer 1 "/dev/sda1": a name without http:// or https://, but no tarboot.mirrors= to fetch it from; accepted: ${ACCEPTED.root}`],
    ["boot=tmpfs", `boot=tmpfs: needs root= with at least one layer; accepted: ${ACCEPTED.root}`],
    ["boot=tmpfs root=", `root=: no layers; accepted: ${ACCEPTED.root}`],
    ["boot=tmpfs root", `root: needs a value; accepted: ${ACCEPTED.root}`],
    ["boot=local root=http://a/b", `boot=local: tarboot boots only into a tmpfs; accepted: tmpfs, e.g. boot=tmpfs (or leave boot= out)`],
    ["tarboot.retry=3", `tarboot.retry=3: unknown tarboot parameter; accepted: one of tarboot.mirrors, tarboot.retries, tarboot.timeout, tarboot.ca, tarboot.proxy, tarboot.no-proxy, tarboot.keep-etc, tarboot.netwait, tarboot.dhcp-timeout, tarboot.arp-check, tarboot.ntp, tarboot.syslog, tarboot.machine-id`],
  ];
  for (const [cmdline, message] of cases) {
    it(cmdline, () => {
      expect(oneError(cmdline).message).toBe(message);
    });
  }

  it("carries the parts as fields", () => {
    const e = oneError("rootsize=banana");
    expect(e).toMatchObject({ param: "rootsize", value: "banana", problem: "not a size", accepted: ACCEPTED.rootsize, source: "cmdline" });
  });

  it("collects every bad parameter at once, root's problems one by one", () => {
    const all = errorsOf("rootsize=banana ip=1.2.3 root=ftp://x,,http://a/%nope panic=x quiet");
    expect(all.message).toBe("6 problems with the boot parameters");
    expect(all.stage).toBe("cmdline");
    expect(all.errors.map((e) => e.param)).toEqual(["rootsize", "ip", "panic", "root", "root", "root"]);
    expect(all.errors.map((e) => e.problem)).toEqual([
      "not a size",
      'client-ip "1.2.3" is not an IPv4 address (four numbers 0-255, dotted)',
      "not a whole number",
      'layer 1 "ftp://x": not an http:// or https:// URL',
      "layer 2 is empty (a doubled or trailing comma?)",
      'layer 3 "http://a/%nope": unknown template %nope (known: %hostname %fqdn %mac %ip %arch %kernel %uuid; %XX with two hex digits is a URL escape)',
    ]);
  });

  it("checks relative layer names even when the mirrors themselves are bad, without blaming missing mirrors", () => {
    const all = errorsOf("root=base.tar,/abs.tar tarboot.mirrors=ftp://m/");
    expect(all.errors.map((e) => e.message)).toEqual([
      `tarboot.mirrors=ftp://m/: mirror 1 "ftp://m/": not an http:// or https:// URL; accepted: ${ACCEPTED["tarboot.mirrors"]}`,
      `root=base.tar,/abs.tar: layer 2 "/abs.tar": a relative name must not start with '/' (it is appended to each mirror); accepted: ${ACCEPTED.root}`,
    ]);
  });

  it("judges only the value that wins", () => {
    expect(parse("ip=1.2.3 ip=dhcp").ip).toEqual({ mode: "dhcp" });
  });
});

describe("parseBootConfig: the initramfs defaults", () => {
  const defaults = [
    "# written by tarboot mkinitramfs --set",
    `root=http://srv/base.tar.xz#sha256=${SHA}`,
    "tarboot.mirrors=http://m1/,http://m2/",
    "rootsize=2g",
    "  # an indented comment",
    "tarboot.keep-etc",
    "panic=5",
    "",
  ].join("\n");

  it("applies them when the command line says nothing", () => {
    const cfg = parse("console=ttyS0", { defaults });
    expect(cfg.layers).toEqual([{ index: 1, raw: `http://srv/base.tar.xz#sha256=${SHA}`, urls: ["http://srv/base.tar.xz"], sha256: SHA }]);
    expect(cfg.mirrors).toEqual(["http://m1/", "http://m2/"]);
    expect(cfg.rootSize).toEqual({ kind: "bytes", bytes: 2 * 2 ** 30 });
    expect(cfg.keepEtc).toBe(true);
    expect(cfg.panic).toBe(5);
  });

  it("lets the command line win, flags included", () => {
    const cfg = parse("rootsize=25% tarboot.keep-etc=0 root=site.tar panic=0", { defaults });
    expect(cfg.rootSize).toEqual({ kind: "percent", percent: 25 });
    expect(cfg.keepEtc).toBe(false);
    expect(cfg.panic).toBe(0);
    expect(cfg.layers[0].urls).toEqual(["http://m1/site.tar", "http://m2/site.tar"]);
  });

  it("lets an empty value on the command line drop a baked-in list", () => {
    expect(parse("tarboot.mirrors= root=http://a/b", { defaults }).mirrors).toEqual([]);
  });

  it("does not take a bad baked-in value that the command line overrides", () => {
    expect(parse("rootsize=1g", { defaults: "rootsize=banana" }).rootSize).toEqual({ kind: "bytes", bytes: 2 ** 30 });
  });

  it("says when a bad value comes from the defaults file", () => {
    const e = oneError("", { defaults: "rootsize=banana" });
    expect(e.source).toBe("defaults");
    expect(e.message).toBe(`rootsize=banana (from /etc/tarboot.conf in the initramfs): not a size; accepted: ${ACCEPTED.rootsize}`);
  });

  it("rejects parameters in the defaults file that tarboot does not read, since nobody else sees them", () => {
    const e = oneError("", { defaults: "rootsise=4g" });
    expect(e.message).toBe(`rootsise=4g (from /etc/tarboot.conf in the initramfs): not a tarboot parameter (the kernel never sees this file); accepted: one of ${PARAM_NAMES.join(", ")}`);
  });

  it("rejects -- in the defaults file", () => {
    expect(oneError("", { defaults: "quiet -- single" }).message).toBe(
      "-- (from /etc/tarboot.conf in the initramfs): init arguments cannot be baked in; accepted: name=value parameters; arguments for init go on the kernel command line after --",
    );
  });

  it("reports problems from both sources together", () => {
    const all = errorsOf("ip=1.2.3", { defaults: "panic=never" });
    expect(all.errors.map((e) => [e.param, e.source])).toEqual([
      ["ip", "cmdline"],
      ["panic", "defaults"],
    ]);
  });
});

describe("init's arguments", () => {
  it("are the kernel's own argv for the init when given, unchanged", () => {
    expect(parse(`${ROOT} splash -- single`, { argv: ["splash", "single"] }).initArgs).toEqual(["splash", "single"]);
    expect(parse(ROOT, { argv: [] }).initArgs).toEqual([]);
  });

  it("are otherwise the bare words the kernel would pass plus everything after --", () => {
    expect(deriveInitArgs('single net.ifnames=0 systemd.debug quiet debug break tarboot.keep-etc x=y -- "a=b c" --foo')).toEqual([
      "single",
      "a=b c",
      "--foo",
    ]);
    expect(parse(`${ROOT} -- 3`).initArgs).toEqual(["3"]);
  });

  it("keep init= itself out of them", () => {
    const cfg = parse(`${ROOT} init=/bin/bash -- -x`);
    expect(cfg.init).toBe("/bin/bash");
    expect(cfg.initArgs).toEqual(["-x"]);
  });
});
