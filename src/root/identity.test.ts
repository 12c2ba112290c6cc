import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { bootConfig, dhcpLease, tempDir } from "../testing/root-fixtures";
import { broadcastOf, hostNames, identityFiles, ipconfigQuote, leaseConf, netIfaceConf } from "./identity";
import { leaseEnv } from "./lease-env";

const byPath = (files: { path: string; content: string }[]) => Object.fromEntries(files.map((f) => [f.path, f.content]));

describe("identityFiles", () => {
  it("writes hostname, hosts and resolv.conf from a full lease", () => {
    const files = byPath(identityFiles(dhcpLease(), bootConfig()));
    expect(Object.keys(files)).toEqual(["/etc/hostname", "/etc/hosts", "/etc/resolv.conf"]);
    expect(files["/etc/hostname"]).toBe("node07\n");
    expect(files["/etc/hosts"]).toBe(
      "127.0.0.1\tlocalhost\n" +
        "127.0.1.1\tnode07.cluster.example\tnode07\n" +
        "\n" +
        "# The following lines are desirable for IPv6 capable hosts\n" +
        "::1\tlocalhost ip6-localhost ip6-loopback\n" +
        "ff02::1\tip6-allnodes\n" +
        "ff02::2\tip6-allrouters\n",
    );
    expect(files["/etc/resolv.conf"]).toBe(
      "# Written by tarboot from the DHCP lease on eth0; boot with tarboot.keep-etc to keep the root's own.\n" +
        "domain cluster.example\n" +
        "search cluster.example lab.example\n" +
        "nameserver 10.0.2.3\n" +
        "nameserver 10.0.2.4\n",
    );
  });

  it("writes no resolv.conf for a lease without DNS servers", () => {
    const files = byPath(identityFiles(dhcpLease({ dns: [] }), bootConfig()));
    expect(Object.keys(files)).toEqual(["/etc/hostname", "/etc/hosts"]);
  });

  it("writes only hostname and hosts with ip=off and hostname=", () => {
    const files = byPath(identityFiles(null, bootConfig({ ip: { mode: "off" }, hostname: "solo" })));
    expect(Object.keys(files)).toEqual(["/etc/hostname", "/etc/hosts"]);
    expect(files["/etc/hostname"]).toBe("solo\n");
    expect(files["/etc/hosts"]).toContain("127.0.1.1\tsolo\n");
  });

  it("writes nothing without a lease or a host name", () => {
    expect(identityFiles(null, bootConfig({ ip: { mode: "off" } }))).toEqual([]);
  });

  it("lets hostname= win over the lease, and takes a dotted name as the FQDN", () => {
    const files = byPath(identityFiles(dhcpLease(), bootConfig({ hostname: "gpu3.hpc.example." })));
    expect(files["/etc/hostname"]).toBe("gpu3\n");
    expect(files["/etc/hosts"]).toContain("127.0.1.1\tgpu3.hpc.example\tgpu3\n");
  });

  it("takes the host name from a static ip=", () => {
    const cfg = bootConfig({ ip: { mode: "static", client: "10.1.1.5", netmask: "255.255.0.0", hostname: "st1", dns: [] } });
    expect(hostNames(null, cfg)).toEqual({ short: "st1" });
  });

  it("never writes a host name or domain that is not a DNS name", () => {
    const lease = dhcpLease({ hostname: "evil\n10.6.6.6 bank", domain: "x y", search: ["ok.example", "bad;name"] });
    const files = byPath(identityFiles(lease, bootConfig()));
    expect(files["/etc/hostname"]).toBeUndefined();
    expect(files["/etc/hosts"]).toBeUndefined();
    expect(files["/etc/resolv.conf"]).toBe(
      "# Written by tarboot from the DHCP lease on eth0; boot with tarboot.keep-etc to keep the root's own.\n" +
        "search ok.example\n" +
        "nameserver 10.0.2.3\n" +
        "nameserver 10.0.2.4\n",
    );
  });

  it("keeps the domain searched when the search list leaves it out, and lists at most three servers", () => {
    const lease = dhcpLease({ source: "static", search: ["lab.example"], dns: ["1.1.1.1", "2001:db8::1", "9.9.9.9", "8.8.8.8", "junk"] });
    expect(byPath(identityFiles(lease, bootConfig()))["/etc/resolv.conf"]).toBe(
      "# Written by tarboot from ip= on eth0; boot with tarboot.keep-etc to keep the root's own.\n" +
        "domain cluster.example\n" +
        "search cluster.example lab.example\n" +
        "nameserver 1.1.1.1\n" +
        "nameserver 2001:db8::1\n" +
        "nameserver 9.9.9.9\n",
    );
  });
});

describe("/run/net-IFACE.conf", () => {
  it("is exactly what klibc's ipconfig writes for a DHCP lease", () => {
    expect(netIfaceConf(dhcpLease(), bootConfig(), 12.7)).toBe(
      [
        "DEVICE='eth0'",
        "PROTO='dhcp'",
        "IPV4ADDR='10.0.2.15'",
        "IPV4BROADCAST='10.0.2.255'",
        "IPV4NETMASK='255.255.255.0'",
        "IPV4GATEWAY='10.0.2.2'",
        "IPV4DNS0='10.0.2.3'",
        "IPV4DNS1='10.0.2.4'",
        "HOSTNAME='node07'",
        "DNSDOMAIN='cluster.example'",
        "NISDOMAIN=''",
        "ROOTSERVER='10.0.2.2'",
        "ROOTPATH=''",
        "filename=''",
        "UPTIME='12'",
        "DHCPLEASETIME='86400'",
        "DOMAINSEARCH='cluster.example. lab.example.'",
        "",
      ].join("\n"),
    );
  });

  it("uses ipconfig's conventions for a static address with little data", () => {
    const lease = dhcpLease({
      source: "static",
      address: "192.168.7.9",
      netmask: "255.255.252.0",
      prefix: 22,
      broadcast: undefined,
      gateway: undefined,
      dns: ["2001:db8::53"],
      domain: undefined,
      search: [],
      hostname: undefined,
      serverId: undefined,
      leaseTime: undefined,
    });
    const cfg = bootConfig({ ip: { mode: "static", client: "192.168.7.9", server: "192.168.4.1", netmask: "255.255.252.0", dns: [] } });
    const text = netIfaceConf(lease, cfg, 3);
    expect(text).toContain("PROTO='none'\n");
    expect(text).toContain("IPV4BROADCAST='192.168.7.255'\n");
    expect(text).toContain("IPV4GATEWAY='0.0.0.0'\n");
    expect(text).toContain("IPV4DNS0='0.0.0.0'\nIPV4DNS1='0.0.0.0'\n");
    expect(text).toContain("HOSTNAME=''\nDNSDOMAIN=''\n");
    expect(text).toContain("ROOTSERVER='192.168.4.1'\n");
    expect(text).toContain("DHCPLEASETIME='0'\nDOMAINSEARCH=''\n");
  });

  it("computes the broadcast address", () => {
    expect(broadcastOf("10.1.2.3", "255.0.0.0")).toBe("10.255.255.255");
    expect(broadcastOf("172.16.5.4", "255.255.255.252")).toBe("172.16.5.7");
  });

  const tmp = tempDir("netconf");
  afterAll(tmp.cleanup);

  it("quotes like ipconfig, so that a shell reads back exactly the value", () => {
    expect(ipconfigQuote("it's!")).toBe(`'it'\\''s'\\!''`);
    const nasty = `a'b!c $(reboot) "q" \\ \`x\``;
    const lease = dhcpLease({ hostname: nasty });
    const file = join(tmp.dir, "net-eth0.conf");
    writeFileSync(file, netIfaceConf(lease, bootConfig(), 1));
    for (const shell of ["/bin/sh", "/bin/busybox"]) {
      const args = shell.endsWith("busybox") ? ["sh", "-c", `. ${file}; printf %s "$HOSTNAME"`] : ["-c", `. ${file}; printf %s "$HOSTNAME"`];
      expect(execFileSync(shell, args, { encoding: "utf8" })).toBe(nasty);
    }
  });
});

describe("a DHCPv6 lease", () => {
  const lease6 = dhcpLease({
    source: "dhcp6",
    address: "fd77::142",
    prefix: 128,
    netmask: "",
    broadcast: undefined,
    gateway: undefined,
    dns: ["fd77::53"],
    domain: undefined,
    search: ["cluster.test"],
    hostname: "node61",
    ntp: [],
    mtu: undefined,
    serverId: "fe80::1",
    serverDuid: "0001000132a133fa7e65f2953f72",
    leaseTime: 3600,
  });

  it("is described in /run/net6-IFACE.conf with initramfs-tools' DHCPv6 names, and resolv.conf names its origin", () => {
    expect(leaseConf(lease6, bootConfig(), 0).name).toBe("net6-eth0.conf");
    expect(netIfaceConf(lease6, bootConfig(), 0)).toBe(
      "DEVICE6='eth0'\nIPV6PROTO='dhcp6'\nIPV6ADDR='fd77::142'\nIPV6NETMASK='128'\nIPV6DNS0='fd77::53'\nIPV6DNS1=''\nIPV6DOMAINSEARCH='cluster.test'\nHOSTNAME='node61'\nDNSDOMAIN=''\nDHCPLEASETIME='3600'\n",
    );
    const files = byPath(identityFiles(lease6, bootConfig()));
    expect(files["/etc/resolv.conf"]).toBe("# Written by tarboot from the DHCPv6 lease on eth0; boot with tarboot.keep-etc to keep the root's own.\nsearch cluster.test\nnameserver fd77::53\n");
  });

  it("gives hooks TARBOOT_* and the initramfs-tools DHCPv6 names, no IPv4 ones", () => {
    const env = leaseEnv(lease6, bootConfig());
    expect(env).toMatchObject({ TARBOOT_LEASE: "dhcp6", TARBOOT_IP: "fd77::142", TARBOOT_PREFIX: "128", DEVICE6: "eth0", IPV6ADDR: "fd77::142", IPV6DNS0: "fd77::53" });
    expect(env).not.toHaveProperty("IPV4ADDR");
    expect(env).not.toHaveProperty("TARBOOT_NETMASK");
  });
});
