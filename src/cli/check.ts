// `tarboot check PARAM...`: a PXE configuration's kernel parameters read as a node will read them
// (the same grammar, defaults and messages), the layer URLs filled in for one node, and with
// --fetch every source asked for its first bytes: a typo or an unpublished layer found before a
// thousand nodes reboot into it, not on their consoles.
import type { KeyObject } from "node:crypto";
import { release } from "node:os";
import { parseArgs } from "node:util";
import { expandTemplate, tokenizeDefaults } from "../cmdline";
import { DEFAULTS_PATH } from "../boot/config";
import { type TemplateName, templateNamesIn } from "../cmdline/template";
import { bondMode } from "../cmdline/bond";
import { parseBootConfig } from "../cmdline/parse";
import { stackOrder } from "../cmdline/stack";
import type { BootConfig, Layer } from "../cmdline/types";
import { formatHostPort, formatSyslogServer } from "../cmdline/values";
import { layersFromLease } from "../boot/dhcp-root";
import { templateVars } from "../boot/template-vars";
import { describeError } from "../console/errors";
import { hideCredentials } from "../console/redact";
import { formatBytes } from "../console/units";
import type { Lease } from "../net/lease";

const USAGE = `usage: tarboot check [options] PARAM...

Reads kernel parameters as a node reads its command line (after the image's baked-in ones, from
--image or --defaults), prints the settings and the layers it would boot, templates filled in for
one node. With --fetch, asks every source of every layer for its first bytes: there, how big,
which format (names are looked up with this machine's resolver, not the node's lease). Exit
status 0 when the parameters parse (and, with --fetch, every layer that is not #optional has a
source that answered with a tarball), 1 otherwise.

options:
  --image FILE      the initramfs the nodes boot (from tarboot mkinitramfs): its baked-in
                    parameters are read first and its trusted keys used with --fetch
  --defaults TEXT   parameters baked into the image (mkinitramfs --set), read first, without --image
  --hostname NAME   the node's host name (%hostname, %fqdn; a dotted name is the FQDN)
  --domain NAME     the lease's domain (%fqdn from a short --hostname)
  --mac MAC         the boot NIC's MAC (%mac)
  --ip ADDR         the node's IPv4 address (%ip)
  --arch ARCH       Debian architecture name for %arch (default: this machine's)
  --kernel RELEASE  kernel release for %kernel (default: this machine's, ${release()})
  --uuid UUID       the node's firmware system UUID, for %uuid
  --root-path TEXT  what the DHCP server sends as option 17, for root=dhcp
  --fetch           ask the servers (GET of the first 512 bytes, redirects followed)
  --key FILE        an Ed25519 public key the image trusts: each layer's URL.manifest must be
                    signed by it (with --fetch; repeatable)
  --timeout S       seconds without progress before a request fails (default 10)
  --ca FILE         extra CA bundle for https (as tarboot.ca= names one in the image)

example:
  tarboot check --hostname node7 --fetch root=http://srv/base.tar.zst,http://srv/%hostname.tar.gz#optional
`;

interface Node {
  hostname?: string;
  domain?: string;
  mac?: string;
  ip?: string;
}

export async function checkCommand(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        image: { type: "string" },
        defaults: { type: "string" },
        hostname: { type: "string" },
        domain: { type: "string" },
        mac: { type: "string" },
        ip: { type: "string" },
        arch: { type: "string" },
        kernel: { type: "string" },
        uuid: { type: "string" },
        "root-path": { type: "string" },
        fetch: { type: "boolean", default: false },
        key: { type: "string", multiple: true, default: [] },
        timeout: { type: "string", default: "10" },
        ca: { type: "string" },
        help: { type: "boolean", short: "h", default: false },
      },
    });
  } catch (err) {
    process.stderr.write(`tarboot check: ${describeError(err)}\n${USAGE}`);
    return 2;
  }
  const { values: v, positionals } = parsed;
  if (v.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const timeout = Number(v.timeout);
  if (!(timeout > 0)) {
    process.stderr.write(`tarboot check: --timeout must be a number of seconds > 0\n`);
    return 2;
  }
  if (v.image !== undefined && v.defaults !== undefined) {
    process.stderr.write(`tarboot check: --image brings the image's own defaults; give one or the other\n`);
    return 2;
  }
  if (positionals.length === 0 && v.defaults === undefined && v.image === undefined) {
    process.stderr.write(`tarboot check: no parameters to check\n${USAGE}`);
    return 2;
  }

  let cfg: BootConfig;
  let layers: Layer[];
  let imageKeys: KeyObject[] = [];
  try {
    let defaults = v.defaults;
    if (v.image !== undefined) ({ defaults, keys: imageKeys } = await readImage(v.image));
    // The words as the kernel would split them; quoting is the shell's job here.
    cfg = parseBootConfig({ cmdline: positionals.join(" "), defaults, argv: [] });
    if (cfg.layers.length === 0 && !cfg.rootFromDhcp) throw new Error("no root=http(s)://... among the parameters: a node would have nothing to boot");
    layers = cfg.rootFromDhcp ? rootPathLayers(v["root-path"], cfg) : cfg.layers;
  } catch (err) {
    say(`error: ${describeError(err)}`);
    return 1;
  }

  const node: Node = { hostname: v.hostname, domain: v.domain, mac: v.mac, ip: v.ip };
  const vars = templateVars(cfg, leaseFor(node), process.arch, v.kernel ?? release(), () => v.uuid?.toLowerCase());
  if (v.arch) vars.arch = v.arch;
  for (const line of describeSettings(cfg)) say(line);
  say(`${layers.length} layer(s)${cfg.rootFromDhcp ? ` from root=dhcp's root path ${JSON.stringify(v["root-path"])}` : ""}`);

  let ok = true;
  const keys = v.fetch ? [...imageKeys, ...(await trustedKeys(v.key))] : [];
  for (const layer of layers) {
    const label = `layer ${layer.index}/${layers.length}`;
    const marks = `${layer.sha256 ? " #sha256" : ""}${layer.optional ? " #optional" : ""}`;
    const unknown = [...new Set(layer.urls.flatMap(templateNamesIn))].filter((name) => !vars[name]);
    if (unknown.length > 0) {
      const options = [...new Set(unknown.map((name) => OPTION_FOR[name]))].join(", ");
      say(`${label}${marks}: ${layer.urls.join(" | ")} (${unknown.map((n) => `%${n}`).join(" ")} filled in at boot; give ${options} to check one node's URLs)`);
      // The URLs cannot be asked for without the node's values: a gap in the check, not in the parameters.
      if (v.fetch) ok = false;
      continue;
    }
    const urls = layer.urls.map((u) => expandTemplate(u, vars, label));
    say(`${label}${marks}: ${urls.join(" | ")}`);
    if (!v.fetch) continue;
    const found = await fetchChecks(urls, { timeoutMs: timeout * 1000, caFile: v.ca, proxy: cfg.proxy, noProxy: cfg.noProxy }, keys, label);
    if (found === "absent" && layer.optional) say(`  ${label} is #optional: a node goes on without it`);
    else if (found !== "found") ok = false;
  }
  return ok ? 0 : 1;
}

const OPTION_FOR: Record<TemplateName, string> = {
  hostname: "--hostname",
  fqdn: "--hostname and --domain",
  mac: "--mac",
  ip: "--ip",
  arch: "--arch",
  kernel: "--kernel",
  uuid: "--uuid",
};

/**
 * Asks each source: "found" when one answered with a tarball (and, with keys, the layer has a valid
 * manifest); "absent" when every one answered 404 or 410; "failed" otherwise.
 */
async function fetchChecks(
  urls: string[],
  o: { timeoutMs: number; caFile?: string; proxy?: BootConfig["proxy"]; noProxy: string[] },
  keys: KeyObject[],
  label: string,
): Promise<"found" | "absent" | "failed"> {
  const { probeSource } = await import("../fetch/probe");
  let any = false;
  let absent = true;
  for (const url of urls) {
    const p = await probeSource(url, o);
    if (!p.ok) {
      say(`  ${url}: ${p.cause}`);
      if (p.status !== 404 && p.status !== 410) absent = false;
      continue;
    }
    const size = p.size !== undefined ? `, ${formatBytes(p.size)}` : "";
    const via = p.redirectedTo ? ` (redirected to ${p.redirectedTo})` : "";
    say(`  ${url}: ${p.compression === "none" ? "tar" : p.compression}${size}${via}`);
    any = true;
  }
  if (!any) return absent ? "absent" : "failed";
  if (keys.length === 0) return "found";
  const { loadManifest } = await import("../fetch");
  try {
    const m = await loadManifest(urls, { label, retries: 1, timeoutMs: o.timeoutMs, caFile: o.caFile, proxy: o.proxy, noProxy: o.noProxy }, keys);
    say(`  manifest signed by ${m.keyId}, ${formatBytes(m.size)}`);
    return "found";
  } catch (err) {
    say(`  ${describeError(err)}`);
    return "failed";
  }
}

/** The image's /etc/tarboot.conf and trusted keys, as the init will read them. */
async function readImage(path: string): Promise<{ defaults?: string; keys: KeyObject[] }> {
  const { readImageFiles } = await import("../initramfs/read-image");
  const { TRUSTED_KEYS_DIR, parseTrustedKey } = await import("../fetch/trusted-keys");
  const conf = DEFAULTS_PATH.slice(1);
  const keyDir = `${TRUSTED_KEYS_DIR.slice(1)}/`;
  const files = readImageFiles(path, (n) => n === conf || (n.startsWith(keyDir) && n.endsWith(".pub") && !n.slice(keyDir.length).includes("/")));
  const defaults = files.get(conf)?.toString("utf8");
  const keys = [...files].filter(([n]) => n !== conf).map(([n, pem]) => parseTrustedKey(pem, `${path}:/${n}`));
  const count = defaults === undefined ? 0 : tokenizeDefaults(defaults).params.length;
  say(`image ${path}: ${count} baked-in parameter(s)${keys.length ? `, trusted key(s) ${keys.map((k) => k.id).join(", ")}` : ", no trusted keys"}`);
  return { defaults, keys: keys.map((k) => k.key) };
}

async function trustedKeys(files: string[]): Promise<KeyObject[]> {
  const { keyOption } = await import("../fetch/trusted-keys");
  return files.map((f) => keyOption(f).key);
}

function rootPathLayers(rootPath: string | undefined, cfg: BootConfig): Layer[] {
  if (rootPath === undefined) throw new Error("root=dhcp: the layers come from the DHCP server's root path (option 17); give it with --root-path to check them");
  return layersFromLease({ rootPath } as Lease, cfg.mirrors);
}

/** What a node would do besides the layers, one line per concern, as parsed (defaults included). */
export function describeSettings(cfg: BootConfig): string[] {
  const ip = cfg.ip;
  const made = stackOrder(cfg);
  const on = ip.mode === "off" ? undefined : (ip.device ?? made.at(-1)?.name);
  const net =
    ip.mode === "off"
      ? "ip=off (no network)"
      : ip.mode === "static"
        ? `static ${ip.family === 6 ? `${ip.client}/${ip.netmask}` : `${ip.client} netmask ${ip.netmask}`}${ip.gateway ? ` via ${ip.gateway}` : ""}${on ? ` on ${on}` : ""}${ip.dns.length ? `, dns ${ip.dns.join(" ")}` : ""}`
        : `${ip.mode === "dhcp6" ? "DHCPv6 (IPv6 only)" : ip.mode === "auto6" ? "SLAAC and the router's DNS (IPv6 only)" : "DHCP"} on ${on ?? (cfg.bootif ? `the interface with MAC ${cfg.bootif}` : "every Ethernet interface, first lease wins")}`;
  const what = made.map((l) =>
    l.kind === "bond"
      ? `bond ${l.name} (${bondMode(cfg.bond!)}) of ${l.lowers.join(", ")}${cfg.bond!.mtu ? `, MTU ${cfg.bond!.mtu}` : ""}`
      : l.kind === "vlan"
        ? `VLAN ${cfg.vlan!.id} on ${cfg.vlan!.parent}`
        : `bridge ${l.name} of ${l.lowers.join(", ")}`,
  );
  const modules = made.map((l) => ({ bond: "bonding", vlan: "8021q", bridge: "bridge" })[l.kind]);
  const vlan = made.length ? ` (${what.join("; ")}; tarboot loads ${modules.join(", ")})` : "";
  const size = cfg.rootSize.kind === "percent" ? `${cfg.rootSize.percent}% of RAM` : formatBytes(cfg.rootSize.bytes);
  // What "the lease's" can mean depends on the protocol: router advertisements name neither.
  const leaseNtp = ip.mode === "dhcp6" ? "the lease's servers (DHCPv6 option 56)" : ip.mode === "auto6" ? "none (router advertisements name no NTP server)" : "the lease's servers (DHCP option 42)";
  const ntp = cfg.ntp.mode === "off" ? "off" : cfg.ntp.mode === "lease" ? leaseNtp : cfg.ntp.servers.map((s) => formatHostPort(s.host, s.port)).join(", ");
  const syslog =
    cfg.syslog === "off"
      ? "off"
      : cfg.syslog
        ? formatSyslogServer(cfg.syslog)
        : ip.mode === "dhcp" ? "the lease's log server (DHCP option 7), if any" : "none";
  return [
    `network: ${net}${vlan}${cfg.hostname ? `, hostname ${cfg.hostname}` : ""}${cfg.arpCheck ? `, ARP check ${cfg.arpCheck} ms` : ""}`,
    `root: tmpfs of ${size}, mode ${cfg.rootMode.toString(8).padStart(4, "0")}; then ${cfg.init}${cfg.breakAt.length ? `; break at ${cfg.breakAt.join(", ")}` : ""}`,
    `downloads: ${cfg.retries} attempt(s) per URL, ${cfg.timeout}s without progress${cfg.proxy ? `, proxy ${hideCredentials(cfg.proxy.url)}` : ""}${cfg.ca ? `, CA bundle ${cfg.ca}` : ""}`,
    `clock: ${ntp}; syslog: ${syslog}; machine-id: ${cfg.machineId}; on failure: ${cfg.panic === 0 ? "wait forever" : cfg.panic < 0 ? "reboot at once" : `reboot after ${cfg.panic}s`} (unless a rescue shell is in the image)`,
  ];
}

/** The parts of a lease the templates read, from the options. */
function leaseFor(n: Node): Lease | null {
  if (!n.hostname && !n.domain && !n.mac && !n.ip) return null;
  return { hostname: n.hostname, domain: n.domain, mac: n.mac ?? "", address: n.ip ?? "" } as Lease;
}

function say(text: string): void {
  process.stdout.write(`${text}\n`);
}
