// The typed boot configuration: parsed once from /proc/cmdline (over the defaults baked in by
// `tarboot mkinitramfs --set`), then read by every stage. No stage looks at /proc/cmdline itself.
import type { Proxy } from "../fetch/proxy";

/** Boot stages in the order they run; `break=STAGE` stops before the stage's work. */
export const STAGES = ["top", "premount", "mount", "bottom", "init"] as const;
export type Stage = (typeof STAGES)[number];

/** One root layer: alternatives tried in order (from `a|b` inside the layer, then each mirror for a relative name). */
export interface Layer {
  /** 1-based position, as printed on the console ("layer 2/3"). */
  index: number;
  /** The layer exactly as written on the command line, for messages. */
  raw: string;
  /** Absolute http(s) URLs, templates (%hostname, ...) not yet expanded: the lease is not known at parse time. */
  urls: string[];
  /** Expected sha256 of the downloaded (still compressed) bytes, lowercase hex, from `URL#sha256=HEX`. */
  sha256?: string;
  /** `URL#optional`: skipped when every source answers 404 or 410 (a per-host layer only some hosts have). */
  optional?: true;
}

/** tmpfs `size=`: bytes, or a percentage of RAM. */
export type RootSize = { kind: "bytes"; bytes: number } | { kind: "percent"; percent: number };

export interface StaticIp {
  mode: "static";
  /** 6: an IPv6 configuration (client, gateway and DNS IPv6 addresses, `netmask` a prefix length). */
  family?: 6;
  client: string;
  server?: string;
  gateway?: string;
  netmask: string;
  hostname?: string;
  device?: string;
  dns: string[];
  /** ntp0-ip: an NTP server, as DHCP's option 42 gives them. */
  ntp?: string;
}

/** A server: an IPv4 address or a host name (looked up through the lease's DNS), and a port. */
export interface HostPort {
  host: string;
  port: number;
}

/** `tarboot.syslog=`: RFC 5426 datagrams, RFC 6587 octet-counted frames over TCP, or the same frames over TLS (RFC 5425). */
export interface SyslogServer extends HostPort {
  transport: "udp" | "tcp" | "tls";
}

/** An NTP server to set the clock from. */
export type NtpServer = HostPort;

/**
 * `tarboot.machine-id=`: `keep` the root's file; `mac` an id derived from the boot NIC's MAC and
 * `dmi` the firmware's system UUID (both the same at every boot of the node); `empty` an empty file,
 * so that systemd makes a new one at every boot.
 */
export type MachineIdMode = "keep" | "mac" | "dmi" | "empty";

/** `tarboot.ntp=`: where the clock is set from before the root is fetched. */
export type NtpConfig = { mode: "lease" } | { mode: "off" } | { mode: "servers"; servers: NtpServer[] };

/**
 * `vlan=<name>:<parent>` (dracut's and initramfs-tools' syntax): an 802.1Q interface on the NIC
 * `parent`, whose name gives the VLAN ID (`eth0.100`, `vlan100`); the lease is sought on it.
 */
export interface VlanConfig {
  name: string;
  id: number;
  parent: string;
}

/** One bonding driver option as its sysfs attribute under /sys/class/net/BOND/bonding/ takes it. */
export interface BondOption {
  name: string;
  /** As written; arp_ip_target and ns_ip6_target carry several, separated by `;`. */
  value: string;
}

/**
 * `bond=<name>[:<slaves>[:<options>[:<mtu>]]]` (dracut's syntax): a bonding interface over the
 * NICs `slaves`, made before the lease is sought on it.
 */
export interface BondConfig {
  name: string;
  slaves: string[];
  /** In the order written, except that `mode` comes first: the driver takes it only from a bond without slaves. */
  options: BondOption[];
  mtu?: number;
}

/**
 * `bridge=<name>[:<ports>]` (dracut's syntax): a Linux bridge over `ports` (NICs, the bond or the
 * VLAN), for nodes whose virtual machines share the boot network; the lease is sought on it.
 */
export interface BridgeConfig {
  name: string;
  ports: string[];
}

/**
 * `dhcp6`: an IPv6-only network, the address from DHCPv6 and the routes from router
 * advertisements; `auto6`: address (SLAAC), routes and DNS all from the advertisements.
 */
export type IpConfig = { mode: "dhcp" | "dhcp6" | "auto6"; device?: string } | { mode: "off" } | StaticIp;

export interface BootConfig {
  /** `root=` split into layers; empty when no http(s) root was given (then tarboot has nothing to boot), or with root=dhcp. */
  layers: Layer[];
  /** `root=dhcp`: the layers come from the DHCP lease's root path (option 17), in root='s grammar. */
  rootFromDhcp?: boolean;
  /** `tarboot.mirrors=`: base URLs (each ending in '/') for relative layer names. */
  mirrors: string[];
  /** `rootsize=`, default 50%. */
  rootSize: RootSize;
  /** `rootmode=`, default 0o755. */
  rootMode: number;
  /** `ip=`, default dhcp on every Ethernet-like interface. */
  ip: IpConfig;
  /** `vlan=`: the boot network is a tagged VLAN on a NIC; DHCP or ip= goes to the VLAN's interface. */
  vlan?: VlanConfig;
  /** `bond=`: the boot network runs over a bond of NICs (a VLAN of vlan= may sit on it). */
  bond?: BondConfig;
  /** `bridge=`: the boot network runs over a bridge (of NICs, the bond or the VLAN). */
  bridge?: BridgeConfig;
  /** `BOOTIF=01-aa-bb-...` as PXELINUX/iPXE pass it, normalised to aa:bb:cc:dd:ee:ff. */
  bootif?: string;
  /** `hostname=`: wins over the lease's host name. */
  hostname?: string;
  /** `init=`, default /sbin/init. */
  init: string;
  /** Arguments for init: the kernel's argv to /init when the caller passes it, else derived from the command line (words after `--`, bare unknown words). */
  initArgs: string[];
  /** `break=`: stages to stop at with the rescue shell. */
  breakAt: Stage[];
  /** `panic=`: seconds to wait before rebooting after a fatal error; 0 waits forever, -1 reboots at once. Default 30. */
  panic: number;
  quiet: boolean;
  debug: boolean;
  /** `tarboot.retries=`: attempts per layer URL before the next mirror, default 8. */
  retries: number;
  /** `tarboot.timeout=`: seconds without progress (under 16 KiB) before a download attempt is abandoned, default 30. */
  timeout: number;
  /** `tarboot.ca=`: CA bundle path inside the initramfs, added to Node's own CA store. */
  ca?: string;
  /** `tarboot.proxy=`: the HTTP proxy downloads go through. */
  proxy?: Proxy;
  /** `tarboot.no-proxy=`: hosts, .domains and addresses reached directly; `*` for all. */
  noProxy: string[];
  /** `tarboot.keep-etc`: the root's own /etc/hostname, hosts and resolv.conf win over the lease. */
  keepEtc: boolean;
  /** `tarboot.netwait=`: seconds to wait for interfaces and carrier, default 20. */
  netWait: number;
  /** `tarboot.dhcp-timeout=`: seconds for DHCP to get a lease before giving up, default 60. */
  dhcpTimeout: number;
  /** `tarboot.arp-check=`: milliseconds of ARP probing before an address is used, default 0 (none). */
  arpCheck: number;
  /** `tarboot.ntp=`: NTP servers for the clock, default those of the lease (DHCP option 42, ip='s ntp0-ip). */
  ntp: NtpConfig;
  /** `tarboot.machine-id=`: what /etc/machine-id in the new root becomes. */
  machineId: MachineIdMode;
  /**
   * `tarboot.syslog=`: a syslog server that gets every console line once the network is up;
   * unset, the lease's log server (DHCP option 7) if it names one; "off", none at all.
   */
  syslog?: SyslogServer | "off";
}

/** Values for `%name` in layer URLs, known once the network is up. */
export interface TemplateVars {
  hostname?: string;
  fqdn?: string;
  /** Boot NIC MAC, aa-bb-cc-dd-ee-ff. */
  mac?: string;
  /** Leased or static IPv4 address. */
  ip?: string;
  /** Machine architecture as Debian names it (amd64, arm64, ...). */
  arch: string;
  /** The running kernel's release, as `uname -r` prints it: the /lib/modules directory the root needs. */
  kernel?: string;
  /** The firmware's system UUID (SMBIOS), lowercase with dashes, when it is not a placeholder. */
  uuid?: string;
}
