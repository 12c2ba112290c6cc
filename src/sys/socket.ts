// Sockets Node cannot make: a UDP socket tied to one interface (SO_BINDTODEVICE) so DHCP can
// broadcast from an interface that has no address yet, an ARP packet socket to see whether an
// address is taken before using it, and rtnetlink sockets to configure links. Reads are driven
// by one poll(2) on the thread pool for all open sockets, so waiting for a DHCP or ARP reply
// never blocks the event loop and never holds more than one pool thread.
import { check, koffi, libc, SysError } from "./libc";

const socket_ = libc.func("int socket(int domain, int type, int protocol)");
const setsockopt_ = libc.func("int setsockopt(int fd, int level, int name, const void *value, uint32_t len)");
const bind_ = libc.func("int bind(int fd, const void *addr, uint32_t len)");
const sendto_ = libc.func("intptr_t sendto(int fd, const void *buf, size_t len, int flags, const void *addr, uint32_t addrlen)");
const recvfrom_ = libc.func("intptr_t recvfrom(int fd, void *buf, size_t len, int flags, void *addr, _Inout_ uint32_t *addrlen)");
const close_ = libc.func("int close(int fd)");
const connect_ = libc.func("int connect(int fd, const void *addr, uint32_t len)");
const send_ = libc.func("intptr_t send(int fd, const void *buf, size_t len, int flags)");
const ioctlInt_ = libc.func("int ioctl(int fd, unsigned long request, _Out_ int *value)");
const poll_ = libc.func("int poll(void *fds, unsigned long nfds, int timeout)");

export const AF_INET = 2;
export const AF_NETLINK = 16;
const AF_PACKET = 17;
const ETH_P_ARP = 0x0806;
const ARPHRD_ETHER = 1;
export const SOCK_STREAM = 1;
export const SOCK_DGRAM = 2;
export const SOCK_RAW = 3;
export const SOCK_CLOEXEC = 0o2000000;
export const SOCK_NONBLOCK = 0o4000;
export const NETLINK_ROUTE = 0;
const SOL_SOCKET = 1;
const SO_REUSEADDR = 2;
const SO_BROADCAST = 6;
const SO_RCVBUF = 8;
const SO_BINDTODEVICE = 25;
const SO_RCVTIMEO = 20;
const SO_SNDTIMEO = 21;
const IPPROTO_TCP = 6;
/** Bytes not yet acknowledged by the peer (TIOCOUTQ on a TCP socket). */
const SIOCOUTQ = 0x5411;
const TCP_NODELAY = 1;
const MSG_NOSIGNAL = 0x4000;
const MSG_DONTWAIT = 0x40;
const POLLIN = 1;
const POLL_SLICE_MS = 200;
const EAGAIN = 11;

/** a.b.c.d -> 4 bytes in network order. */
export function ipv4Bytes(address: string): Buffer {
  const parts = address.split(".");
  const bytes = parts.map((p) => (/^\d{1,3}$/.test(p) ? Number(p) : NaN));
  if (bytes.length !== 4 || bytes.some((b) => !(b >= 0 && b <= 255))) throw new Error(`not an IPv4 address: ${address}`);
  return Buffer.from(bytes);
}

/** An IPv6 address in any RFC 4291 text form (`::` once, an IPv4 tail) as its 16 bytes. */
export function ipv6Bytes(address: string): Buffer {
  const fail = () => new Error(`not an IPv6 address: ${address}`);
  let text = address;
  const tail: number[] = [];
  const v4 = /(?:^|:)(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4) {
    tail.push(...ipv4Bytes(v4[1]));
    text = text.slice(0, text.length - v4[1].length) + "0:0";
  }
  const halves = text.split("::");
  if (halves.length > 2) throw fail();
  const groups = (h: string) => (h === "" ? [] : h.split(":"));
  const head = groups(halves[0]);
  const rest = halves.length === 2 ? groups(halves[1]) : [];
  const missing = 8 - head.length - rest.length;
  if ((halves.length === 1 && missing !== 0) || (halves.length === 2 && missing < 1)) throw fail();
  const all = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill("0"), ...rest];
  const out = Buffer.alloc(16);
  all.forEach((g, i) => {
    if (!/^[0-9a-f]{1,4}$/i.test(g)) throw fail();
    out.writeUInt16BE(parseInt(g, 16), i * 2);
  });
  if (tail.length) Buffer.from(tail).copy(out, 12);
  return out;
}

/** An IPv4 address as 4 bytes, an IPv6 one (anything with a colon) as 16. */
export function ipBytes(address: string): Buffer {
  return address.includes(":") ? ipv6Bytes(address) : ipv4Bytes(address);
}

export const AF_INET6 = 10;

/** struct sockaddr_in, or sockaddr_in6 for an IPv6 address (scope 0: global addresses only). */
function sockaddrOf(address: string, port: number): Buffer {
  const v6 = address.includes(":");
  const sa = Buffer.alloc(v6 ? 28 : 16);
  sa.writeUInt16LE(v6 ? AF_INET6 : AF_INET, 0); // sa_family is host order; little-endian on every Linux tarboot targets
  sa.writeUInt16BE(port, 2);
  if (v6) ipv6Bytes(address).copy(sa, 8);
  else ipv4Bytes(address).copy(sa, 4);
  return sa;
}

const familyOf = (address: string) => (address.includes(":") ? AF_INET6 : AF_INET);

function setIntOption(fd: number, level: number, name: number, value: number, what: string, target: string): void {
  const v = Buffer.alloc(4);
  v.writeInt32LE(value, 0);
  check(setsockopt_(fd, level, name, v, 4), `setsockopt(${what})`, target);
}

export interface Datagram {
  data: Buffer;
  address: string;
  port: number;
}

type Handler = (msg: Datagram) => void;
/** A received datagram and the raw socket address it came from. */
type RawHandler = (data: Buffer, from: Buffer) => void;

interface Entry {
  fd: number;
  handler: RawHandler;
  closed: boolean;
}

// One poll loop for every open socket. A socket closed while poll() runs on the pool is only
// really closed once poll() has returned, so its descriptor number cannot be reused under it.
const entries = new Map<number, Entry>();
let polling = false;

function pollLoop(): void {
  const live = [...entries.values()].filter((e) => !e.closed);
  if (live.length === 0) {
    polling = false;
    return;
  }
  polling = true;
  const fds = Buffer.alloc(8 * live.length);
  live.forEach((e, i) => {
    fds.writeInt32LE(e.fd, 8 * i);
    fds.writeInt16LE(POLLIN, 8 * i + 4);
  });
  poll_.async(fds, live.length, POLL_SLICE_MS, (err: Error | null, ret: number) => {
    if (!err && ret > 0) {
      live.forEach((e, i) => {
        if (!e.closed && fds.readInt16LE(8 * i + 6) !== 0) drain(e);
      });
    }
    for (const e of live) {
      if (e.closed) {
        entries.delete(e.fd);
        close_(e.fd);
      }
    }
    setImmediate(pollLoop);
  });
}

function drain(e: Entry): void {
  const buf = Buffer.alloc(65536);
  for (;;) {
    // Room for a sockaddr_in (16 bytes) or a sockaddr_ll (20).
    const from = Buffer.alloc(32);
    const len = [from.length];
    const n = Number(recvfrom_(e.fd, buf, buf.length, MSG_DONTWAIT, from, len));
    if (n < 0) return; // EAGAIN: drained; anything else shows up again on the next poll
    try {
      e.handler(Buffer.from(buf.subarray(0, n)), from);
    } catch {
      // A handler bug must not stop the loop that serves every other socket.
    }
  }
}

function watch(fd: number, handler: RawHandler): Entry {
  const entry: Entry = { fd, handler, closed: false };
  entries.set(fd, entry);
  if (!polling) pollLoop();
  return entry;
}

function unwatch(entry: Entry): void {
  if (entry.closed) return;
  entry.closed = true;
  if (!polling || !entries.has(entry.fd)) {
    entries.delete(entry.fd);
    close_(entry.fd);
  }
}

/** A UDP socket bound to one network interface, receiving through the shared poll loop. */
export class DeviceUdpSocket {
  readonly fd: number;
  readonly device: string;
  private entry: Entry;

  private constructor(fd: number, device: string, handler: Handler | null) {
    this.fd = fd;
    this.device = device;
    // A send-only socket stays out of the poll loop: it would hold a pool thread for nothing.
    this.entry = handler
      ? watch(fd, (data, from) => handler({ data, address: `${from[4]}.${from[5]}.${from[6]}.${from[7]}`, port: from.readUInt16BE(2) }))
      : { fd, handler: () => {}, closed: false };
  }

  /**
   * Opens 0.0.0.0:port on `device` with broadcast allowed; several devices may share the port.
   * Without `onMessage` the socket only sends; `any` "::" makes an IPv6 one (sends only).
   */
  static open(device: string, port: number, onMessage: Handler | null, any: "0.0.0.0" | "::" = "0.0.0.0"): DeviceUdpSocket {
    if (any === "::" && onMessage) throw new Error("DeviceUdpSocket: IPv6 sockets only send");
    const fd = check(socket_(familyOf(any), SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0), "socket", device);
    try {
      setIntOption(fd, SOL_SOCKET, SO_REUSEADDR, 1, "SO_REUSEADDR", device);
      setIntOption(fd, SOL_SOCKET, SO_BROADCAST, 1, "SO_BROADCAST", device);
      const name = Buffer.from(`${device}\0`);
      check(setsockopt_(fd, SOL_SOCKET, SO_BINDTODEVICE, name, name.length), "setsockopt(SO_BINDTODEVICE)", device);
      const sa = sockaddrOf(any, port);
      check(bind_(fd, sa, sa.length), "bind", `${device} ${any}:${port}`);
    } catch (err) {
      close_(fd);
      throw err;
    }
    return new DeviceUdpSocket(fd, device, onMessage);
  }

  send(data: Buffer, address: string, port: number): void {
    if (this.entry.closed) throw new Error(`${this.device}: socket already closed`);
    const sa = sockaddrOf(address, port);
    const n = Number(sendto_(this.fd, data, data.length, 0, sa, sa.length));
    if (n < 0) throw new SysError("sendto", koffi.errno(), `${this.device} -> ${address}:${port}`);
  }

  close(): void {
    unwatch(this.entry);
  }
}

/**
 * A TCP connection whose connect and sends are synchronous and bounded (SO_SNDTIMEO, which Linux
 * applies to connect too): a line sent just before an exec or a reboot has left, and a dead peer
 * costs at most `timeoutMs` per call. For the remote syslog; Node's sockets cannot promise either.
 */
export class BlockingTcp {
  private _fd: number;
  readonly target: string;

  private constructor(fd: number, target: string) {
    this._fd = fd;
    this.target = target;
  }

  /** The socket, for a TLS layer over it; -1 once closed. */
  get fd(): number {
    return this._fd;
  }

  static connect(address: string, port: number, timeoutMs: number): BlockingTcp {
    const target = address.includes(":") ? `[${address}]:${port}` : `${address}:${port}`;
    const fd = check(socket_(familyOf(address), SOCK_STREAM | SOCK_CLOEXEC, 0), "socket", target);
    try {
      const tv = Buffer.alloc(16);
      tv.writeBigInt64LE(BigInt(Math.floor(timeoutMs / 1000)), 0);
      tv.writeBigInt64LE(BigInt((timeoutMs % 1000) * 1000), 8);
      check(setsockopt_(fd, SOL_SOCKET, SO_SNDTIMEO, tv, 16), "setsockopt(SO_SNDTIMEO)", target);
      // Only a TLS handshake reads: a server that never answers it costs the same bound.
      check(setsockopt_(fd, SOL_SOCKET, SO_RCVTIMEO, tv, 16), "setsockopt(SO_RCVTIMEO)", target);
      // Each line leaves at once: Nagle would hold a short line until the last one is acknowledged,
      // and the line before a reboot would never leave.
      setIntOption(fd, IPPROTO_TCP, TCP_NODELAY, 1, "TCP_NODELAY", target);
      const sa = sockaddrOf(address, port);
      check(connect_(fd, sa, sa.length), "connect", target);
    } catch (err) {
      close_(fd);
      throw err;
    }
    return new BlockingTcp(fd, target);
  }

  /** Sends all of `data`, or throws (EAGAIN: the peer has not taken data within the timeout). */
  send(data: Buffer): void {
    if (this._fd < 0) throw new Error(`${this.target}: connection already closed`);
    for (let off = 0; off < data.length; ) {
      const n = Number(send_(this._fd, data.subarray(off), data.length - off, MSG_NOSIGNAL));
      if (n < 0) throw new SysError("send", koffi.errno(), this.target);
      off += n;
    }
  }

  /**
   * Waits, blocking, until the peer has acknowledged everything sent, at most `timeoutMs`; whether
   * it did. Before a reboot: data the kernel still holds would be lost with it.
   */
  waitAcknowledged(timeoutMs: number): boolean {
    const until = Date.now() + timeoutMs;
    const pending = [0];
    const nap = new Int32Array(new SharedArrayBuffer(4));
    for (;;) {
      if (this._fd < 0 || ioctlInt_(this._fd, SIOCOUTQ, pending) < 0) return false;
      if (pending[0] === 0) return true;
      if (Date.now() >= until) return false;
      Atomics.wait(nap, 0, 0, 10);
    }
  }

  close(): void {
    if (this._fd >= 0) close_(this._fd);
    this._fd = -1;
  }
}

/**
 * An AF_PACKET socket for ARP on one interface: payloads in and out without the Ethernet header
 * (SOCK_DGRAM), our own transmissions included (the caller tells them by the sender address).
 */
export class ArpSocket {
  readonly device: string;
  private readonly ifindex: number;
  private readonly entry: Entry;

  private constructor(fd: number, device: string, ifindex: number, handler: (payload: Buffer) => void) {
    this.device = device;
    this.ifindex = ifindex;
    this.entry = watch(fd, (data) => handler(data));
  }

  static open(device: string, ifindex: number, onPacket: (payload: Buffer) => void): ArpSocket {
    const fd = check(socket_(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, htons(ETH_P_ARP)), "socket(AF_PACKET)", device);
    try {
      check(bind_(fd, sockaddrLl(ifindex, Buffer.alloc(0)), SOCKADDR_LL_SIZE), "bind", `${device} (ARP)`);
    } catch (err) {
      close_(fd);
      throw err;
    }
    return new ArpSocket(fd, device, ifindex, onPacket);
  }

  /** Sends an ARP payload to `mac` (the Ethernet broadcast address for a probe). */
  send(payload: Buffer, mac: Buffer): void {
    if (this.entry.closed) throw new Error(`${this.device}: socket already closed`);
    const n = Number(sendto_(this.entry.fd, payload, payload.length, 0, sockaddrLl(this.ifindex, mac), SOCKADDR_LL_SIZE));
    if (n < 0) throw new SysError("sendto(ARP)", koffi.errno(), this.device);
  }

  close(): void {
    unwatch(this.entry);
  }
}

const SOCKADDR_LL_SIZE = 20;

function htons(v: number): number {
  return ((v & 0xff) << 8) | (v >> 8);
}

/** struct sockaddr_ll for ARP on `ifindex`, addressed to `mac` (empty when binding). */
function sockaddrLl(ifindex: number, mac: Buffer): Buffer {
  const sa = Buffer.alloc(SOCKADDR_LL_SIZE);
  sa.writeUInt16LE(AF_PACKET, 0);
  sa.writeUInt16BE(ETH_P_ARP, 2); // sll_protocol, network order
  sa.writeInt32LE(ifindex, 4);
  sa.writeUInt16LE(ARPHRD_ETHER, 8);
  sa[11] = mac.length; // sll_halen
  mac.copy(sa, 12);
  return sa;
}

/** A request/acknowledge rtnetlink socket; the kernel answers within the send call. */
export class NetlinkSocket {
  readonly fd: number;
  private closed = false;

  constructor() {
    this.fd = check(socket_(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE), "socket", "AF_NETLINK");
    try {
      setIntOption(this.fd, SOL_SOCKET, SO_RCVBUF, 1 << 20, "SO_RCVBUF", "netlink");
      const sa = Buffer.alloc(12);
      sa.writeUInt16LE(AF_NETLINK, 0);
      check(bind_(this.fd, sa, 12), "bind", "netlink");
    } catch (err) {
      close_(this.fd);
      throw err;
    }
  }

  send(message: Buffer, what: string): void {
    const sa = Buffer.alloc(12);
    sa.writeUInt16LE(AF_NETLINK, 0);
    const n = Number(sendto_(this.fd, message, message.length, 0, sa, 12));
    if (n < 0) throw new SysError("sendto(netlink)", koffi.errno(), what);
  }

  /** One datagram (may hold several messages); null if none is queued. */
  receive(what: string): Buffer | null {
    const buf = Buffer.alloc(65536);
    const n = Number(recvfrom_(this.fd, buf, buf.length, MSG_DONTWAIT, null, null));
    if (n < 0) {
      const errno = koffi.errno();
      if (errno === EAGAIN) return null;
      throw new SysError("recvfrom(netlink)", errno, what);
    }
    return buf.subarray(0, n);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    close_(this.fd);
  }
}

const SOL_NETLINK = 270;
const NETLINK_ADD_MEMBERSHIP = 1;

/**
 * rtnetlink notifications of some multicast groups (RTNLGRP_* numbers), handed over as they come
 * through the shared poll loop: e.g. the options of router advertisements the kernel leaves to
 * user space (RTNLGRP_ND_USEROPT: DNS servers and search domains).
 */
export class NetlinkListener {
  private entry: Entry;

  private constructor(fd: number, onMessage: (data: Buffer) => void) {
    this.entry = watch(fd, (data) => onMessage(data));
  }

  static open(groups: number[], onMessage: (data: Buffer) => void): NetlinkListener {
    const fd = check(socket_(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_ROUTE), "socket", "AF_NETLINK");
    try {
      setIntOption(fd, SOL_SOCKET, SO_RCVBUF, 1 << 20, "SO_RCVBUF", "netlink");
      const sa = Buffer.alloc(12);
      sa.writeUInt16LE(AF_NETLINK, 0);
      check(bind_(fd, sa, 12), "bind", "netlink");
      for (const g of groups) setIntOption(fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, g, "NETLINK_ADD_MEMBERSHIP", `group ${g}`);
    } catch (err) {
      close_(fd);
      throw err;
    }
    return new NetlinkListener(fd, onMessage);
  }

  close(): void {
    unwatch(this.entry);
  }
}
