// `ip=` in the kernel's syntax (Documentation/admin-guide/nfs/nfsroot.rst):
//   ip=<client-ip>:<server-ip>:<gw-ip>:<netmask>:<hostname>:<device>:<autoconf>:<dns0-ip>:<dns1-ip>:<ntp0-ip>
// or one word: dhcp, on/any/both (all mean DHCP here: it is the only protocol tarboot speaks), off/none;
// and dhcp6 and auto6 (dracut's words, also as the autoconf field) for an IPv6-only network:
// DHCPv6, or the router advertisement alone (SLAAC).
//
// Where tarboot is stricter than the kernel, it is to fail clearly instead of half-configuring:
// - bootp and rarp are refused (tarboot has no client for them);
// - a client address together with a DHCP autoconf is refused (the kernel would silently go static);
// - a client address without a netmask gets the old classful mask, as the kernel gives it; the
//   netmask may also be a prefix length (24 or /24), stored dotted.
// IPv6 addresses are written in brackets, as dracut reads them (`ip=[fd00::5]::[fd00::1]:64::eth0:none`);
// an IPv6 client address needs its prefix length in the netmask field (there is no classful
// default to fall back on), and the gateway and DNS servers of the same family.
import { isIPv6 } from "node:net";
import { Invalid } from "./errors";
import type { IpConfig } from "./types";
import { classfulNetmask, parseHostname, parseInterfaceName, parseIpv4, parseNetmask } from "./values";

const DHCP_WORDS = ["dhcp", "on", "any", "both"];
const OFF_WORDS = ["off", "none"];
const UNSUPPORTED = ["bootp", "rarp"];
const FIELDS = ["client-ip", "server-ip", "gw-ip", "netmask", "hostname", "device", "autoconf", "dns0-ip", "dns1-ip", "ntp0-ip"];

export interface ParsedIp {
  ip: IpConfig;
  /** The hostname field, which stands in for `hostname=` when that is not given. */
  hostname?: string;
}

function autoconf(word: string): "dhcp" | "dhcp6" | "auto6" | "off" | "" {
  if (word === "") return "";
  if (DHCP_WORDS.includes(word)) return "dhcp";
  if (word === "dhcp6" || word === "auto6") return word;
  if (OFF_WORDS.includes(word)) return "off";
  if (UNSUPPORTED.includes(word)) throw new Invalid(`autoconf ${word} is not supported (only DHCP)`);
  throw new Invalid(`autoconf "${word}" is not one of dhcp, dhcp6, auto6, on, any, both, off, none`);
}

/** The fields between colons, a colon inside [brackets] (an IPv6 address) not counting. */
export function splitIpFields(value: string): string[] {
  const fields: string[] = [];
  let field = "";
  let depth = 0;
  for (const c of value) {
    if (c === "[") depth++;
    else if (c === "]") depth = Math.max(0, depth - 1);
    if (c === ":" && depth === 0) {
      fields.push(field);
      field = "";
    } else field += c;
  }
  fields.push(field);
  return fields;
}

/** An address field: `[IPv6]` or IPv4. */
function parseAddress(text: string, what: string): string {
  const v6 = /^\[(.*)\]$/.exec(text);
  if (v6) {
    if (!isIPv6(v6[1]) || v6[1].includes("%")) throw new Invalid(`${what} "${text}" is not an IPv6 address`);
    return v6[1].toLowerCase();
  }
  if (text.includes(":")) throw new Invalid(`${what} "${text}": write an IPv6 address in brackets, [${text}]`);
  return parseIpv4(text, what);
}

/** An IPv6 prefix length, 1-128 (`64` or `/64`), kept as its digits. */
function parsePrefix6(text: string): string {
  const m = /^\/?([0-9]{1,3})$/.exec(text);
  if (!m || Number(m[1]) < 1 || Number(m[1]) > 128) throw new Invalid(`netmask "${text}": an IPv6 address takes a prefix length, 1 to 128`);
  return String(Number(m[1]));
}

/** Parses the value of `ip=`; throws Invalid with every problem found. */
export function parseIp(value: string | undefined): ParsedIp {
  // `ip` alone or `ip=` empty: every field empty, which the kernel reads as "autoconfigure".
  if (value === undefined || value === "") return { ip: { mode: "dhcp" } };
  if (!value.includes(":")) {
    if (DHCP_WORDS.includes(value)) return { ip: { mode: "dhcp" } };
    if (value === "dhcp6" || value === "auto6") return { ip: { mode: value } };
    if (OFF_WORDS.includes(value)) return { ip: { mode: "off" } };
    if (UNSUPPORTED.includes(value)) throw new Invalid(`${value} is not supported (only DHCP)`);
    if (!/^[0-9.]+$/.test(value)) throw new Invalid(`"${value}" is neither one of dhcp, dhcp6, auto6, on, any, both, off, none nor an IPv4 address`);
  }
  const fields = splitIpFields(value);
  if (fields.length > FIELDS.length) throw new Invalid(`${fields.length} fields, at most ${FIELDS.length}`);
  const [client, server, gw, mask, host, device, auto, dns0, dns1, ntp0] = [...fields, ...Array<string>(FIELDS.length).fill("")];

  const problems: string[] = [];
  const check = <T>(f: () => T): T | undefined => {
    try {
      return f();
    } catch (err) {
      if (!(err instanceof Invalid)) throw err;
      problems.push(...err.problems);
      return undefined;
    }
  };
  const addr = (text: string, what: string) => (text === "" ? undefined : check(() => parseAddress(text, what)));

  const clientIp = addr(client, "client-ip");
  const v6 = clientIp?.includes(":") ?? client.startsWith("[");
  const serverIp = addr(server, "server-ip");
  const gateway = addr(gw, "gw-ip");
  const netmask = mask === "" ? undefined : check(() => (v6 ? parsePrefix6(mask) : parseNetmask(mask)));
  const hostname = host === "" ? undefined : check(() => parseHostname(host));
  const dev = device === "" ? undefined : check(() => parseInterfaceName(device));
  const mode = check(() => autoconf(auto));
  const dns = [addr(dns0, "dns0-ip"), addr(dns1, "dns1-ip")].filter((d): d is string => d !== undefined);
  const ntp = addr(ntp0, "ntp0-ip");

  if (clientIp !== undefined) {
    const family = v6 ? "IPv6" : "IPv4";
    const mixed = [
      [serverIp, "server-ip"],
      [gateway, "gw-ip"],
      [dns[0], "dns0-ip"],
      [dns[1], "dns1-ip"],
      [ntp, "ntp0-ip"],
    ].filter(([a]) => a !== undefined && a.includes(":") !== v6);
    for (const [a, what] of mixed) problems.push(`${what} ${a} is not ${family} like the client address ${client}`);
    if (v6 && netmask === undefined && mask === "") problems.push(`an IPv6 client address (${client}) needs its prefix length in the netmask field, e.g. 64`);
  }
  if (client !== "" && (mode === "dhcp" || mode === "dhcp6" || mode === "auto6")) {
    problems.push(`a client address (${client}) with autoconf ${auto}: give either the address with autoconf off, or no address with dhcp`);
  }
  if (client === "" && mode !== "off") {
    const stray = [
      [mask, "netmask"],
      [gw, "gw-ip"],
      [dns0, "dns0-ip"],
      [dns1, "dns1-ip"],
    ].filter(([v]) => v !== "");
    if (stray.length) {
      problems.push(`${stray.map(([, what]) => what).join(", ")} without a client address: DHCP brings its own; the first field is the client address`);
    }
  }
  if (problems.length) throw new Invalid(...problems);

  if (clientIp === undefined) {
    // `ip=::::::off` (no address, autoconf off) configures nothing, like `ip=off`.
    if (mode === "off") return { ip: { mode: "off" }, hostname };
    const dhcp = mode === "dhcp6" || mode === "auto6" ? mode : "dhcp";
    return { ip: dev === undefined ? { mode: dhcp } : { mode: dhcp, device: dev }, hostname };
  }
  const ip: IpConfig = {
    mode: "static",
    client: clientIp,
    netmask: netmask ?? classfulNetmask(clientIp),
    ...(v6 && { family: 6 as const }),
    dns,
    ...(serverIp !== undefined && { server: serverIp }),
    ...(gateway !== undefined && { gateway }),
    ...(hostname !== undefined && { hostname }),
    ...(dev !== undefined && { device: dev }),
    ...(ntp !== undefined && { ntp }),
  };
  return { ip, hostname };
}
