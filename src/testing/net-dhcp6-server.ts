// A scripted DHCPv6 server for what dnsmasq cannot be made to do on demand: T1 and T2 of a few
// seconds (dnsmasq derives them from a lease of at least two minutes), a server that ignores
// RENEW so that the client must REBIND, the next address after a DECLINE or (once) a RENEW, and several servers of
// different preference and speed. Runs in the server namespace as its own process, printing
// one JSON line per message it receives. Wire format from tarboot's codec; the codec itself is
// checked against dnsmasq.
//   argv[2]: JSON Scripted6Config
import { createSocket } from "node:dgram";
import { decodeMessage6, duidLl, encodeIaNa, encodeMessage6, Msg6, Opt6, type Option6 } from "../net/dhcp6/message";

export interface Scripted6Config {
  iface: string;
  /** Addresses handed out, the next one after each DECLINE. */
  addresses: string[];
  t1: number;
  t2: number;
  valid: number;
  /** Leave RENEW unanswered (REBIND still is). */
  ignoreRenew?: boolean;
  /** Answer the first RENEW with the next address instead of the leased one (a server that moves its client). */
  moveOnRenew?: boolean;
  /** The MAC in the server's DUID: two servers on one link need two. */
  serverMac?: string;
  /** The preference option in ADVERTISE (none when absent). */
  preference?: number;
  /** Milliseconds before answering a SOLICIT: a slower server. */
  advertiseDelayMs?: number;
}

export interface Saw6 {
  type: number;
  xid: number;
  /** The message named a server (RENEW does, REBIND must not). */
  serverId: boolean;
  answered: boolean;
  at: number;
}

const cfg = JSON.parse(process.argv[2] ?? "{}") as Scripted6Config;
const SERVER_DUID = duidLl(Buffer.from((cfg.serverMac ?? "02:00:00:00:00:06").replace(/:/g, ""), "hex"));
const sock = createSocket({ type: "udp6", reuseAddr: true });
let next = 0;
let moved = false;

sock.on("message", (buf, rinfo) => {
  let m;
  try {
    m = decodeMessage6(buf);
  } catch {
    return;
  }
  const get = (code: number) => m.options.find(([c]) => c === code)?.[1];
  const clientId = get(Opt6.CLIENTID);
  const ia = get(Opt6.IA_NA);
  const saw: Saw6 = { type: m.type, xid: m.xid, serverId: get(Opt6.SERVERID) !== undefined, answered: false, at: Date.now() };
  if (m.type === Msg6.DECLINE) next = Math.min(next + 1, cfg.addresses.length - 1);
  if (m.type === Msg6.RENEW && cfg.moveOnRenew && !moved) {
    moved = true;
    next = Math.min(next + 1, cfg.addresses.length - 1);
  }
  const answer = m.type === Msg6.SOLICIT ? Msg6.ADVERTISE : [Msg6.REQUEST, Msg6.REBIND].includes(m.type as 3) || (m.type === Msg6.RENEW && !cfg.ignoreRenew) ? Msg6.REPLY : 0;
  // A REQUEST or RENEW names the server it is for; another server keeps quiet (RFC 8415, 18.3).
  const named = get(Opt6.SERVERID);
  const forUs = named === undefined || named.equals(SERVER_DUID);
  if (answer && clientId && ia && forUs) {
    const iaNa = encodeIaNa(ia.readUInt32BE(0), [{ address: cfg.addresses[next], preferred: cfg.valid, valid: cfg.valid }]);
    iaNa.writeUInt32BE(cfg.t1, 4);
    iaNa.writeUInt32BE(cfg.t2, 8);
    const options: Option6[] = [[Opt6.SERVERID, SERVER_DUID], [Opt6.CLIENTID, clientId], [Opt6.IA_NA, iaNa]];
    if (answer === Msg6.ADVERTISE && cfg.preference !== undefined) options.push([Opt6.PREFERENCE, Buffer.from([cfg.preference])]);
    const reply = encodeMessage6({ type: answer, xid: m.xid, options });
    const to = `${rinfo.address.replace(/%.*/, "")}%${cfg.iface}`;
    const delay = answer === Msg6.ADVERTISE ? (cfg.advertiseDelayMs ?? 0) : 0;
    setTimeout(() => sock.send(reply, rinfo.port, to), delay);
    saw.answered = true;
  }
  process.stdout.write(JSON.stringify(saw) + "\n");
});

sock.bind(547, "::", () => {
  sock.addMembership("ff02::1:2", `::%${cfg.iface}`);
  process.stdout.write(JSON.stringify({ ready: true }) + "\n");
});
