// The boot configuration: the defaults baked into the initramfs, overridden by the kernel command
// line, parsed once into a BootConfig. Every bad value is reported, not only the first, before
// anything is mounted.
import { CmdlineError, CmdlineErrors, Invalid, type ParamSource } from "./errors";
import { bondMode, parseBond } from "./bond";
import { parseIp } from "./ip";
import { stackProblems } from "./stack";
import { looksLikeUrl, parseLayers, parseMirrors } from "./layers";
import { tokenizeCmdline, tokenizeDefaults } from "./tokenize";
import type { BootConfig } from "./types";
import {
  parseAbsolutePath,
  parseBootif,
  parseFlag,
  parseHostname,
  parseInteger,
  parseMachineIdMode,
  parseMode,
  parseNoProxy,
  parseNtp,
  parseSyslog,
  parseVlan,
  parseBridge,
  parseProxy,
  parseRootSize,
  parseStages,
  requireValue,
} from "./values";

export interface BootConfigInput {
  /** The kernel command line, e.g. /proc/cmdline (decoded as latin1 for the kernel's exact split). */
  cmdline: string;
  /** The initramfs defaults file (/etc/tarboot.conf): same syntax, `#` comment lines; the command line wins. */
  defaults?: string;
  /**
   * The arguments the kernel started the init with (without argv[0]). The kernel already decided
   * which words are init's; when given, they become `initArgs` unchanged. Without it, `initArgs`
   * is worked out from `cmdline` by the kernel's rule (see deriveInitArgs).
   */
  argv?: readonly string[];
}

const FLAG = "the bare flag, or =1/0, yes/no, y/n, true/false, on/off";
const SECONDS_MAX = 86400;
/** An ARP check longer than RFC 5227's whole probe sequence (~7 s) would only delay the boot. */
const ARP_CHECK_MAX_MS = 10_000;

/** What each parameter accepts, with an example; keyed by canonical name (see canonical()). */
export const ACCEPTED = {
  root:
    "layers separated by commas, each an http:// or https:// URL (or a name relative to tarboot.mirrors=), " +
    "alternatives separated by |, optional #sha256=<64 hex digits> and #optional at the end of a layer, " +
    "templates %hostname %fqdn %mac %ip %arch %kernel %uuid; or dhcp for the DHCP server's root path (option 17); " +
    "e.g. root=http://srv/base.tar.xz,http://srv/%hostname.tar.gz",
  boot: "tmpfs, e.g. boot=tmpfs (or leave boot= out)",
  rootsize: "bytes with optional k/m/g suffix (binary) or N% of RAM, e.g. rootsize=4g or rootsize=50%",
  rootmode: "an octal mode up to 07777, e.g. rootmode=0755",
  ip:
    "dhcp, dhcp6 or auto6 (IPv6 only), on, any, both, off, none, or <client-ip>:<server-ip>:<gw-ip>:<netmask>:<hostname>:<device>:<autoconf>:<dns0-ip>:<dns1-ip>:<ntp0-ip> " +
    "with autoconf off/none/dhcp/dhcp6/auto6, IPv6 addresses in [brackets] with a prefix length as netmask, " +
    "e.g. ip=dhcp, ip=:::::eth0:dhcp, ip=10.0.0.5::10.0.0.1:255.255.255.0:node5:eth0:off or ip=[fd00::5]::[fd00::1]:64:node5:eth0:none:[fd00::53]",
  vlan: "<name>:<parent>, the name giving the VLAN ID as <parent>.<id> or vlan<id> (1-4094), e.g. vlan=eth0.100:eth0",
  bond:
    "<name>[:<slaves>[:<options>[:<mtu>]]], slaves separated by commas (eth0,eth1 if left out), options the bonding driver's key=value " +
    "separated by commas (arp_ip_target's addresses by ;), e.g. bond=bond0:eth0,eth1:mode=active-backup,miimon=100 or bond=bond0:eth0,eth1:mode=802.3ad:9000",
  bridge:
    "<name>[:<ports>], ports separated by commas (eth0 if left out): NICs, the bond of bond= or the VLAN of vlan=, " +
    "e.g. bridge=br0:eth0 or bridge=br0:bond0",
  BOOTIF: "01-aa-bb-cc-dd-ee-ff (ARP type 01, then the MAC, as PXELINUX passes it) or a bare MAC, e.g. BOOTIF=01-52-54-00-12-34-56",
  hostname: "letters, digits and inner hyphens (RFC 1123), labels of up to 63 separated by dots, e.g. hostname=node17",
  init: "an absolute path, e.g. init=/sbin/init",
  break: "break alone (= premount) or a comma list of top, premount, mount, bottom, init, e.g. break=premount",
  panic: "whole seconds to wait before rebooting after a failure, 0 waits forever, negative reboots at once, e.g. panic=30",
  quiet: FLAG,
  debug: FLAG,
  "tarboot.mirrors": "comma-separated http:// or https:// base URLs, e.g. tarboot.mirrors=http://a/images/,http://b/images/",
  "tarboot.retries": "a whole number of attempts from 1 to 1000, e.g. tarboot.retries=8",
  "tarboot.timeout": `whole seconds from 1 to ${SECONDS_MAX}, e.g. tarboot.timeout=30`,
  "tarboot.ca": "an absolute path inside the initramfs, e.g. tarboot.ca=/etc/ssl/site-ca.pem",
  "tarboot.proxy": "an http:// proxy URL, user:password@ allowed, e.g. tarboot.proxy=http://proxy.example:3128",
  "tarboot.no_proxy": "comma-separated hosts, .domains, IP addresses and a.b.c.d/n or x::/n ranges reached without the proxy, or *, e.g. tarboot.no-proxy=bootsrv,.cluster.example,10.0.0.0/8",
  "tarboot.keep_etc": FLAG,
  "tarboot.netwait": `whole seconds from 0 to ${SECONDS_MAX}, e.g. tarboot.netwait=20`,
  "tarboot.dhcp_timeout": `whole seconds from 1 to ${SECONDS_MAX}, e.g. tarboot.dhcp-timeout=60`,
  "tarboot.arp_check": `whole milliseconds from 0 (no check) to ${ARP_CHECK_MAX_MS}, e.g. tarboot.arp-check=300`,
  "tarboot.ntp": "off, or comma-separated NTP servers, IPv4 addresses, [IPv6 addresses] or host names with an optional :port, e.g. tarboot.ntp=10.0.0.1,ntp2.example:1123",
  "tarboot.syslog":
    "off, or a syslog server's IPv4 address, [IPv6 address] or host name with an optional :port (514 by default, 6514 for tls://), UDP unless written tcp:// or tls://, e.g. tarboot.syslog=loghost or tarboot.syslog=tcp://[fd00::514]:601 or tarboot.syslog=tls://loghost.example",
  "tarboot.machine_id": "keep, mac (from the boot NIC's MAC), dmi (the firmware's system UUID) or empty, e.g. tarboot.machine-id=mac",
} as const;

export type ParamName = keyof typeof ACCEPTED;

/** The parameters this module reads, as they are usually written. */
export const PARAM_NAMES: readonly string[] = Object.keys(ACCEPTED).map((n) => n.replaceAll("_", "-"));

/** Like the kernel for module parameters, `-` and `_` are the same in names (tarboot.keep-etc = tarboot.keep_etc). */
function canonical(name: string): string {
  return name.replaceAll("-", "_");
}

function isParamName(name: string): name is ParamName {
  return Object.hasOwn(ACCEPTED, name);
}

export function defaultBootConfig(): BootConfig {
  return {
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
  };
}

interface Entry {
  /** As written, for messages. */
  name: string;
  value: string | undefined;
  source: ParamSource;
}

/**
 * init's words when the kernel's argv is not at hand, by the kernel's rule (init/main.c): before
 * `--`, a word without `=` and without `.` that the kernel does not know; then everything after
 * `--`. tarboot's own words are left out; words the kernel itself consumes (`ro`, `nokaslr`, ...)
 * cannot be told apart here, which is why BootConfigInput.argv is preferred.
 */
export function deriveInitArgs(cmdline: string): string[] {
  const { params, afterDashes } = tokenizeCmdline(cmdline);
  const bare = params.filter(
    (p) => p.value === undefined && p.name !== "" && !p.name.includes(".") && !isParamName(canonical(p.name)),
  );
  return [...bare.map((p) => p.name), ...afterDashes];
}

/** Parses the boot parameters; throws CmdlineErrors listing every bad one. */
export function parseBootConfig(input: BootConfigInput): BootConfig {
  const errors: CmdlineError[] = [];
  const entries = new Map<ParamName, Entry>();
  const fail = (e: Entry, problem: string, accepted: string) =>
    errors.push(new CmdlineError({ param: e.name, value: e.value, problem, accepted, source: e.source }));

  const collect = (params: { name: string; value: string | undefined }[], source: ParamSource) => {
    for (const p of params) {
      const key = canonical(p.name);
      const e: Entry = { ...p, source };
      if (isParamName(key)) entries.set(key, e); // repeated: the last one wins, as in the kernel
      else if (key.startsWith("tarboot.")) fail(e, "unknown tarboot parameter", `one of ${PARAM_NAMES.filter((n) => n.startsWith("tarboot.")).join(", ")}`);
      else if (source === "defaults") fail(e, "not a tarboot parameter (the kernel never sees this file)", `one of ${PARAM_NAMES.join(", ")}`);
    }
  };

  if (input.defaults !== undefined) {
    const d = tokenizeDefaults(input.defaults);
    collect(d.params, "defaults");
    if (d.sawDashes) {
      fail({ name: "--", value: undefined, source: "defaults" }, "init arguments cannot be baked in", "name=value parameters; arguments for init go on the kernel command line after --");
    }
  }
  const cmd = tokenizeCmdline(input.cmdline);
  collect(cmd.params, "cmdline");

  const config = defaultBootConfig();
  config.initArgs = input.argv ? [...input.argv] : deriveInitArgs(input.cmdline);

  /** Runs `parse` on the parameter's value if it was given; a problem becomes a CmdlineError. */
  const take = <T>(key: ParamName, parse: (value: string | undefined) => T, set: (v: T) => void): void => {
    const e = entries.get(key);
    if (!e) return;
    try {
      set(parse(e.value));
    } catch (err) {
      if (!(err instanceof Invalid)) throw err;
      for (const problem of err.problems) fail(e, problem, ACCEPTED[key]);
    }
  };

  take("rootsize", parseRootSize, (v) => (config.rootSize = v));
  take("rootmode", parseMode, (v) => (config.rootMode = v));
  let ipHostname: string | undefined;
  take("ip", parseIp, (v) => {
    config.ip = v.ip;
    ipHostname = v.hostname;
  });
  // An empty value unsets: only the last value is parsed, so a baked-in one is dropped this way.
  const optional =
    <T>(parse: (v: string) => T) =>
    (v: string | undefined): T | undefined =>
      requireValue(v) === "" ? undefined : parse(v!);
  take("vlan", optional(parseVlan), (v) => v !== undefined && (config.vlan = v));
  take("bond", optional(parseBond), (v) => v !== undefined && (config.bond = v));
  take("bridge", optional(parseBridge), (v) => v !== undefined && (config.bridge = v));
  checkStack(entries, config, fail);
  take("BOOTIF", optional(parseBootif), (v) => v !== undefined && (config.bootif = v));
  take("hostname", optional(parseHostname), (v) => v !== undefined && (config.hostname = v));
  if (config.hostname === undefined && ipHostname !== undefined) config.hostname = ipHostname;
  take("init", parseAbsolutePath, (v) => (config.init = v));
  take("break", parseStages, (v) => (config.breakAt = v));
  take("panic", (v) => parseInteger(v, -2147483648, 2147483), (v) => (config.panic = v < 0 ? -1 : v));
  take("quiet", parseFlag, (v) => (config.quiet = v));
  take("debug", parseFlag, (v) => (config.debug = v));
  take("tarboot.retries", (v) => parseInteger(v, 1, 1000), (v) => (config.retries = v));
  take("tarboot.timeout", (v) => parseInteger(v, 1, SECONDS_MAX), (v) => (config.timeout = v));
  take("tarboot.ca", optional(parseAbsolutePath), (v) => v !== undefined && (config.ca = v));
  take("tarboot.proxy", optional(parseProxy), (v) => v !== undefined && (config.proxy = v));
  take("tarboot.no_proxy", parseNoProxy, (v) => (config.noProxy = v));
  take("tarboot.keep_etc", parseFlag, (v) => (config.keepEtc = v));
  take("tarboot.netwait", (v) => parseInteger(v, 0, SECONDS_MAX), (v) => (config.netWait = v));
  take("tarboot.dhcp_timeout", (v) => parseInteger(v, 1, SECONDS_MAX), (v) => (config.dhcpTimeout = v));
  take("tarboot.arp_check", (v) => parseInteger(v, 0, ARP_CHECK_MAX_MS), (v) => (config.arpCheck = v));
  const ipv6 = config.ip.mode === "dhcp6" || config.ip.mode === "auto6" ? `ip=${config.ip.mode}` : config.ip.mode === "static" && config.ip.family === 6 ? "a static IPv6 ip=" : undefined;
  if (config.arpCheck > 0 && ipv6) {
    fail(entries.get("tarboot.arp_check")!, `ARP is IPv4's: with ${ipv6} the kernel's duplicate address detection checks the address`, ACCEPTED["tarboot.arp_check"]);
  }
  take("tarboot.ntp", parseNtp, (v) => (config.ntp = v));
  take("tarboot.syslog", optional(parseSyslog), (v) => v !== undefined && (config.syslog = v));
  take("tarboot.machine_id", parseMachineIdMode, (v) => (config.machineId = v));
  let mirrorsOk = true;
  take("tarboot.mirrors", (v) => ((mirrorsOk = false), parseMirrors(v)), (v) => ((config.mirrors = v), (mirrorsOk = true)));
  // With bad mirrors (already reported), relative layer names are still checked, against a stand-in.
  parseRoot(entries, config, mirrorsOk ? config.mirrors : ["http://mirror.invalid/"], fail);

  if (errors.length) throw new CmdlineErrors(errors);
  return config;
}

/** bond=, vlan= and bridge= stack into the one interface ip= configures (see stack.ts). */
function checkStack(entries: Map<ParamName, Entry>, config: BootConfig, fail: (e: Entry, problem: string, accepted: string) => void): void {
  for (const { kind, problem } of stackProblems(config)) fail(entries.get(kind)!, problem, ACCEPTED[kind]);
  const bond = config.bond;
  if (bond && bondMode(bond) !== "active-backup" && bond.options.some((o) => o.name === "active_slave")) {
    fail(entries.get("bond")!, `active_slave is for mode=active-backup, and this bond's mode is ${bondMode(bond)}`, ACCEPTED.bond);
  }
}

/**
 * root= and boot=. tarboot's boot mode is chosen by a root= URL (any scheme, so that root=ftp://x
 * is an error rather than "not for us"), by boot=tmpfs, or by root= with tarboot.mirrors= given.
 * Otherwise root= is someone else's (root=/dev/sda1, root=UUID=...) and layers stay empty.
 */
function parseRoot(
  entries: Map<ParamName, Entry>,
  config: BootConfig,
  mirrors: readonly string[],
  fail: (e: Entry, problem: string, accepted: string) => void,
): void {
  const root = entries.get("root");
  const boot = entries.get("boot");
  const rootValue = root?.value ?? "";
  const tmpfs = boot?.value === "tmpfs";
  if (root && rootValue === "dhcp") {
    // The layers come with the lease (dracut's root=dhcp): checked when they arrive.
    if (config.ip.mode === "dhcp6" || config.ip.mode === "auto6") fail(root, `the root path is a DHCPv4 option (17), and ip=${config.ip.mode} has none: give the layers in root=`, ACCEPTED.root);
    else if (config.ip.mode !== "dhcp") fail(root, `the root path comes with the DHCP lease, but ip= says ${config.ip.mode}`, ACCEPTED.root);
    else config.rootFromDhcp = true;
    return;
  }
  const ours = tmpfs || looksLikeUrl(rootValue) || (mirrors.length > 0 && rootValue !== "");

  if (boot && !tmpfs && ours) {
    fail(boot, "tarboot boots only into a tmpfs", ACCEPTED.boot);
  }
  if (!ours) return;
  if (!root || rootValue === "") {
    if (root) fail(root, root.value === undefined ? "needs a value" : "no layers", ACCEPTED.root);
    else fail(boot!, "needs root= with at least one layer", ACCEPTED.root);
    return;
  }
  try {
    config.layers = parseLayers(rootValue, mirrors);
  } catch (err) {
    if (!(err instanceof Invalid)) throw err;
    for (const problem of err.problems) fail(root, problem, ACCEPTED.root);
  }
}
