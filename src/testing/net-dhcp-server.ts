// A scripted DHCP server for the cases dnsmasq cannot be made to produce on demand: a NAK to a
// REQUEST in SELECTING state, a lease that runs out because the server went silent, and a
// renewal acknowledged with another address. Runs in
// the server namespace as its own process (Node's dgram, not tarboot's sockets), printing one
// JSON line per message it receives.
//   argv[2]: JSON ScriptedServerConfig
import { createSocket } from "node:dgram";
import { BOOTREPLY, decodePacket, encodePacket, messageType, type DhcpPacket } from "../net/dhcp/packet";
import { ipBytes, ipToString, MessageType, Opt, u32Bytes } from "../net/dhcp/options";

export interface ScriptedServerConfig {
  serverIp: string;
  /** First address handed out; the last octet grows per client. */
  poolStart: string;
  leaseTime: number;
  t1: number;
  t2: number;
  /** NAK this many REQUESTs in SELECTING state before acknowledging one. */
  nakSelecting?: number;
  /** After the first ACK, ignore everything for this long (ms). */
  silentAfterFirstAckMs?: number;
  /** ACK the first renewing REQUEST with this address instead of the client's (a server that moves its client). */
  moveOnRenew?: string;
}

export interface ServerSaw {
  type: string;
  xid: number;
  ciaddr: string;
  requestedIp?: string;
  serverId?: string;
  answered: string | null;
  /** Source address of the datagram. */
  from: string;
  at: number;
}

const cfg = JSON.parse(process.argv[2] ?? "{}") as ScriptedServerConfig;
const sock = createSocket({ type: "udp4", reuseAddr: true });
const leases = new Map<string, string>();
let naks = 0;
let silentUntil = 0;
let acks = 0;
let moved = false;

function addressFor(mac: string): string {
  let a = leases.get(mac);
  if (!a) {
    const parts = cfg.poolStart.split(".").map(Number);
    parts[3] += leases.size;
    a = parts.join(".");
    leases.set(mac, a);
  }
  return a;
}

function reply(req: DhcpPacket, type: MessageType, yiaddr: string): DhcpPacket {
  const options = new Map<number, Buffer>([
    [Opt.MESSAGE_TYPE, Buffer.from([type])],
    [Opt.SERVER_ID, ipBytes(cfg.serverIp)],
  ]);
  if (type !== MessageType.NAK) {
    options.set(Opt.LEASE_TIME, u32Bytes(cfg.leaseTime));
    options.set(Opt.RENEWAL_TIME, u32Bytes(cfg.t1));
    options.set(Opt.REBINDING_TIME, u32Bytes(cfg.t2));
    options.set(Opt.SUBNET_MASK, ipBytes("255.255.255.0"));
    options.set(Opt.ROUTER, ipBytes(cfg.serverIp));
  } else {
    options.set(Opt.MESSAGE, Buffer.from("scripted NAK"));
  }
  return { ...req, op: BOOTREPLY, yiaddr, siaddr: "0.0.0.0", options, sname: "", file: "" };
}

sock.on("message", (buf, rinfo) => {
  let req: DhcpPacket;
  try {
    req = decodePacket(buf);
  } catch {
    return;
  }
  const t = messageType(req);
  const mac = req.chaddr.toString("hex");
  const opt50 = req.options.get(Opt.REQUESTED_IP);
  const opt54 = req.options.get(Opt.SERVER_ID);
  const saw: ServerSaw = {
    type: MessageType[t ?? 0] ?? "?",
    xid: req.xid,
    ciaddr: req.ciaddr,
    requestedIp: opt50 ? ipToString(opt50) : undefined,
    serverId: opt54 ? ipToString(opt54) : undefined,
    answered: null,
    from: rinfo.address,
    at: Date.now(),
  };
  let out: DhcpPacket | null = null;
  if (Date.now() < silentUntil) {
    // Pretend to be down.
  } else if (t === MessageType.DISCOVER) {
    out = reply(req, MessageType.OFFER, addressFor(mac));
  } else if (t === MessageType.REQUEST) {
    const selecting = req.ciaddr === "0.0.0.0";
    if (selecting && naks < (cfg.nakSelecting ?? 0)) {
      naks++;
      out = reply(req, MessageType.NAK, "0.0.0.0");
    } else {
      const move = !selecting && cfg.moveOnRenew && !moved;
      if (move) moved = true;
      out = reply(req, MessageType.ACK, selecting ? saw.requestedIp ?? addressFor(mac) : move ? cfg.moveOnRenew! : req.ciaddr);
      if (acks++ === 0 && cfg.silentAfterFirstAckMs) silentUntil = Date.now() + cfg.silentAfterFirstAckMs;
    }
  }
  if (out) {
    saw.answered = MessageType[messageType(out) ?? 0];
    // Clients without an address (or with the broadcast flag) get broadcasts; the rest unicast.
    const to = req.ciaddr !== "0.0.0.0" ? req.ciaddr : "255.255.255.255";
    sock.send(encodePacket(out), 68, to);
  }
  process.stdout.write(`${JSON.stringify(saw)}\n`);
});

sock.bind(67, "0.0.0.0", () => {
  sock.setBroadcast(true);
  process.stdout.write(`${JSON.stringify({ ready: true })}\n`);
});
process.on("SIGTERM", () => sock.close(() => process.exit(0)));
