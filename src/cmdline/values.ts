// Parsers for the scalar values of boot parameters. Each returns the typed value or throws Invalid
// with the problem in a few words; the caller adds the parameter name and what is accepted.
import { isIPv6 } from "node:net";
import { type Proxy, parseProxyUrl } from "../fetch/proxy";
import { Invalid } from "./errors";
import { type HostPort, type MachineIdMode, type NtpConfig, STAGES, type RootSize, type Stage, type SyslogServer, type VlanConfig, type BridgeConfig } from "./types";

export function requireValue(value: string | undefined): string {
  if (value === undefined) throw new Invalid("needs a value");
  return value;
}

/** Whole number in [min, max]; decimal digits only (no sign unless min < 0, no 0x, no fractions). */
export function parseInteger(value: string | undefined, min: number, max: number): number {
  const v = requireValue(value);
  if (!/^-?[0-9]+$/.test(v)) throw new Invalid(v === "" ? "empty" : "not a whole number");
  const n = Number(v);
  if (n < min || n > max) throw new Invalid(`out of range (${min} to ${max})`);
  return n === 0 ? 0 : n; // no -0
}

const TRUE = ["1", "y", "yes", "true", "on"];
const FALSE = ["0", "n", "no", "false", "off"];

/** A flag: bare means on; `=1`/`=0` (and yes/no, ...) let the command line undo a baked-in default. */
export function parseFlag(value: string | undefined): boolean {
  if (value === undefined) return true;
  const v = value.toLowerCase();
  if (TRUE.includes(v)) return true;
  if (FALSE.includes(v)) return false;
  throw new Invalid("not a yes/no value");
}

const SIZE = /^([0-9]+)([kKmMgG]?)$/;
const SHIFT: Record<string, number> = { "": 0, k: 10, m: 20, g: 30 };

/** tmpfs `size=`: bytes with optional k/m/g (binary) suffix, or N% of RAM. */
export function parseRootSize(value: string | undefined): RootSize {
  const v = requireValue(value);
  const pct = /^([0-9]+)%$/.exec(v);
  if (pct) {
    const percent = Number(pct[1]);
    if (percent === 0) throw new Invalid("0% leaves no room for the root");
    if (percent > 100) throw new Invalid("more than 100% of RAM");
    return { kind: "percent", percent };
  }
  const m = SIZE.exec(v);
  if (!m) throw new Invalid("not a size");
  const bytes = Number(m[1]) * 2 ** SHIFT[m[2].toLowerCase()];
  if (bytes === 0) throw new Invalid("0 leaves no room for the root");
  if (!Number.isSafeInteger(bytes)) throw new Invalid("too large");
  return { kind: "bytes", bytes };
}

/** An octal permission mode such as 0755 or 1777. */
export function parseMode(value: string | undefined): number {
  const v = requireValue(value);
  if (!/^[0-7]+$/.test(v)) throw new Invalid("not an octal mode");
  const mode = parseInt(v, 8);
  if (mode > 0o7777) throw new Invalid("more than 07777");
  return mode;
}

/** An absolute path (init=, tarboot.ca=). */
export function parseAbsolutePath(value: string | undefined): string {
  const v = requireValue(value);
  if (v === "") throw new Invalid("empty");
  if (!v.startsWith("/")) throw new Invalid("not an absolute path");
  // The kernel cannot hand a NUL through, but a control character here is always a copy-paste accident.
  if (/[\x00-\x1f\x7f]/.test(v)) throw new Invalid("contains a control character");
  return v;
}

const LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;

/** RFC 1123 host name: dot-separated labels of letters, digits and inner hyphens, 1-63 each, 253 in all. */
export function parseHostname(value: string): string {
  if (value.length > 253) throw new Invalid("longer than 253 characters");
  for (const label of value.split(".")) {
    if (label === "") throw new Invalid("has an empty label (two dots, or a dot at either end)");
    if (label.length > 63) throw new Invalid(`label "${label}" is longer than 63 characters`);
    if (!LABEL.test(label)) throw new Invalid(`label "${label}" is not letters, digits and inner hyphens`);
  }
  return value;
}

/** An RFC 1123 name (a final dot allowed: no search domains), not one that only looks like an address (10.0.0.256). */
function isHostName(text: string): boolean {
  const name = text.endsWith(".") ? text.slice(0, -1) : text;
  try {
    parseHostname(name);
  } catch {
    return false;
  }
  return !/^[0-9]+$/.test(name.slice(name.lastIndexOf(".") + 1));
}

/** A strict dotted-quad IPv4 address: four decimal octets 0-255, no leading zeros (which some read as octal). */
export function isIpv4(text: string): boolean {
  const parts = text.split(".");
  return parts.length === 4 && parts.every((p) => /^(?:0|[1-9][0-9]{0,2})$/.test(p) && Number(p) <= 255);
}

export function parseIpv4(text: string, what: string): string {
  if (!isIpv4(text)) throw new Invalid(`${what} "${text}" is not an IPv4 address (four numbers 0-255, dotted)`);
  return text;
}

function ipv4ToNumber(ip: string): number {
  return ip.split(".").reduce((acc, p) => acc * 256 + Number(p), 0);
}

function numberToIpv4(n: number): string {
  return [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join(".");
}

export function prefixToNetmask(prefix: number): string {
  return numberToIpv4(prefix === 0 ? 0 : (0xffffffff - (2 ** (32 - prefix) - 1)));
}

/** A netmask, dotted (255.255.255.0, as the kernel takes it) or as a prefix length (24 or /24); returned dotted. */
export function parseNetmask(text: string): string {
  const prefix = /^\/?([0-9]{1,2})$/.exec(text);
  if (prefix) {
    const n = Number(prefix[1]);
    if (n > 32) throw new Invalid(`netmask "${text}": a prefix length is 0 to 32`);
    return prefixToNetmask(n);
  }
  if (!isIpv4(text)) throw new Invalid(`netmask "${text}" is neither a dotted netmask nor a prefix length`);
  const n = ipv4ToNumber(text);
  const inverted = 0xffffffff - n;
  // A valid mask's inverse is 2^k - 1: all its one bits are contiguous at the bottom.
  if ((inverted & (inverted + 1)) !== 0) throw new Invalid(`netmask "${text}" has non-contiguous bits`);
  return text;
}

/** The netmask the kernel picks when ip= gives none: the address's old class (A, B or C). */
export function classfulNetmask(ip: string): string {
  const first = Number(ip.split(".")[0]);
  if (first < 128) return "255.0.0.0";
  if (first < 192) return "255.255.0.0";
  return "255.255.255.0";
}

/** A network interface name as the kernel allows it (dev_valid_name): 1-15 bytes, no '/', ':' or whitespace. */
export function parseInterfaceName(text: string): string {
  if (text === "") throw new Invalid("an empty interface name");
  if (text.length > 15) throw new Invalid(`device "${text}" is longer than 15 characters`);
  if (text === "." || text === ".." || /[/:\s]/.test(text)) throw new Invalid(`device "${text}" is not an interface name`);
  return text;
}

const OCTETS = /^[0-9a-f]{2}(?:[-:][0-9a-f]{2})*$/i;

/** `BOOTIF=01-aa-bb-cc-dd-ee-ff` (ARP hardware type 1 = Ethernet, then the MAC), or a bare MAC; returned aa:bb:cc:dd:ee:ff. */
export function parseBootif(value: string | undefined): string {
  const v = requireValue(value);
  if (!OCTETS.test(v)) throw new Invalid("not a hardware address");
  let octets = v.toLowerCase().split(/[-:]/);
  if (octets.length === 7) {
    if (octets[0] !== "01") throw new Invalid(`hardware type ${octets[0]} is not Ethernet (01)`);
    octets = octets.slice(1);
  }
  if (octets.length !== 6) throw new Invalid(`${octets.length} octets, not an Ethernet address`);
  // A NIC's own address is unicast; a multicast one here is most likely `01-` with an octet missing.
  if (parseInt(octets[0], 16) & 1) throw new Invalid(`${octets.join(":")} is a multicast address, not a NIC's (an octet missing?)`);
  return octets.join(":");
}

/**
 * `vlan=<name>:<parent>`: the name carries the VLAN ID as dracut reads it, `<anything>.<id>` or
 * `vlan<id>` (leading zeros allowed: `eth0.0100`, `vlan0100`).
 */
export function parseVlan(value: string | undefined): VlanConfig {
  const v = requireValue(value);
  const colon = v.indexOf(":");
  if (colon < 0) throw new Invalid("needs <name>:<parent>");
  const name = parseInterfaceName(v.slice(0, colon));
  const parent = parseInterfaceName(v.slice(colon + 1));
  if (name === parent) throw new Invalid(`the VLAN and its parent are both "${name}"`);
  const digits = /^vlan(\d+)$/.exec(name)?.[1] ?? /\.(\d+)$/.exec(name)?.[1];
  if (digits === undefined) throw new Invalid(`the name "${name}" gives no VLAN ID: write <parent>.<id> or vlan<id>`);
  const id = Number(digits);
  if (id < 1 || id > 4094) throw new Invalid(`VLAN ID ${id} is outside 1-4094`);
  return { name, id, parent };
}

/** `bridge=<name>[:<ports>]`: the ports a comma list, eth0 when left out (dracut's default). */
export function parseBridge(value: string | undefined): BridgeConfig {
  const v = requireValue(value);
  const colon = v.indexOf(":");
  const name = parseInterfaceName(colon < 0 ? v : v.slice(0, colon));
  const ports = (colon < 0 || colon === v.length - 1 ? "eth0" : v.slice(colon + 1)).split(",").map(parseInterfaceName);
  const twice = ports.find((p, i) => ports.indexOf(p) !== i);
  if (twice) throw new Invalid(`port ${twice} is listed twice`);
  if (ports.includes(name)) throw new Invalid(`the bridge ${name} cannot be its own port`);
  return { name, ports };
}

/** `break=`: a comma list of stages; returned deduplicated in boot order. */
export function parseStages(value: string | undefined): Stage[] {
  // initramfs-tools: a bare `break` stops before mounting the root.
  if (value === undefined) return ["premount"];
  if (value === "") return [];
  const wanted = value.split(",");
  const bad = wanted.filter((s) => !(STAGES as readonly string[]).includes(s));
  if (bad.length) throw new Invalid(`unknown stage ${bad.map((s) => JSON.stringify(s)).join(", ")}`);
  return STAGES.filter((s) => wanted.includes(s));
}

/** `tarboot.proxy=`: see src/fetch/proxy.ts. */
export function parseProxy(value: string): Proxy {
  try {
    return parseProxyUrl(value);
  } catch (err) {
    throw new Invalid((err as Error).message);
  }
}

const NO_PROXY_ENTRY =
  /^(\*|\.?[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?\.?|[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*(\/([0-9]|[1-9][0-9]|1[01][0-9]|12[0-8]))?|\d{1,3}(\.\d{1,3}){3}\/([0-9]|[12][0-9]|3[0-2]))$/;

/** `tarboot.no-proxy=`: comma-separated host names, .domains, IP addresses, ranges (a.b.c.d/n, IPv6 x::/n) or `*`; empty: none. */
export function parseNoProxy(value: string | undefined): string[] {
  const v = requireValue(value);
  if (v === "") return [];
  const entries = v.split(",");
  const problems = entries.flatMap((e, k) =>
    e === "" ? [`entry ${k + 1} is empty (a doubled or trailing comma?)`] : NO_PROXY_ENTRY.test(e) ? [] : [`entry ${k + 1} ${JSON.stringify(e)} is not a host name, .domain, IP address, a.b.c.d/n or x::/n range, or *`],
  );
  if (problems.length) throw new Invalid(...problems);
  return entries;
}

/** `tarboot.ntp=`: `off`, or IPv4 addresses or host names with an optional `:port` (123 by default). */
export function parseNtp(value: string | undefined): NtpConfig {
  const v = requireValue(value);
  if (v === "off") return { mode: "off" };
  if (v === "") throw new Invalid("empty (off turns the clock setting off)");
  return { mode: "servers", servers: v.split(",").map((entry, k) => parseHostPort(entry, 123, `server ${k + 1} `)) };
}

/**
 * `tarboot.syslog=`: `[udp://|tcp://|tls://]` an IPv4 address, [IPv6 address] or host name with an
 * optional `:port` (514 by default, 6514 for TLS as RFC 5425 assigns).
 */
export function parseSyslog(value: string | undefined): SyslogServer | "off" {
  const v = requireValue(value);
  if (v === "off") return "off";
  const m = /^(udp|tcp|tls):\/\/(.*)$/i.exec(v);
  if (!m && /^[a-z][a-z0-9+.-]*:\/\//i.test(v)) throw new Invalid(`"${v}": the transport is udp:// (the default), tcp:// or tls://`);
  const transport = m ? (m[1].toLowerCase() as SyslogServer["transport"]) : "udp";
  return { ...parseHostPort(m ? m[2] : v, transport === "tls" ? 6514 : 514, ""), transport };
}

/** A syslog server as tarboot.syslog= takes it: the transport written out unless UDP. */
export function formatSyslogServer(server: SyslogServer): string {
  return `${server.transport === "udp" ? "" : `${server.transport}://`}${formatHostPort(server.host, server.port)}`;
}

/** host:port as written in a parameter: an IPv6 address in brackets. */
export function formatHostPort(host: string, port: number): string {
  return `${host.includes(":") ? `[${host}]` : host}:${port}`;
}

/**
 * `a.b.c.d[:port]`, `[v6 address][:port]` or `name[:port]`, the name looked up through the lease's
 * DNS servers when it is used; `what` starts the message ("server 2 ").
 */
function parseHostPort(entry: string, defaultPort: number, what: string): HostPort {
  const m = /^(?:\[([0-9a-f:.]+)\]|([^:]*))(?::(\d{1,5}))?$/i.exec(entry);
  const host = m?.[1] ?? m?.[2] ?? entry;
  if (!m || !(m[1] !== undefined ? isIPv6(host) : isIpv4(host) || isHostName(host))) {
    throw new Invalid(`${what}"${entry}" is not an IPv4 address, [IPv6 address] or host name with an optional :port`);
  }
  const port = m[3] === undefined ? defaultPort : Number(m[3]);
  if (port < 1 || port > 65535) throw new Invalid(`${what}"${entry}": port ${port} is out of range (1 to 65535)`);
  return { host, port };
}

const MACHINE_ID_MODES: readonly MachineIdMode[] = ["keep", "mac", "dmi", "empty"];

/** `tarboot.machine-id=`: keep, mac, dmi or empty. */
export function parseMachineIdMode(value: string | undefined): MachineIdMode {
  const v = requireValue(value);
  if (!(MACHINE_ID_MODES as readonly string[]).includes(v)) throw new Invalid(`"${v}" is not one of ${MACHINE_ID_MODES.join(", ")}`);
  return v as MachineIdMode;
}
