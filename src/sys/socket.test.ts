// BlockingTcp against real sockets on loopback: the connection the remote syslog keeps. And the
// address text the netlink messages carry.
import { createServer, type Server, type Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSocket } from "node:dgram";
import { BlockingTcp, DeviceUdpSocket, ipBytes, ipv6Bytes } from "./socket";

let server: Server;
let port: number;
const received: Buffer[] = [];
const peers: Socket[] = [];

beforeAll(async () => {
  server = createServer((s) => {
    peers.push(s);
    s.on("data", (d) => received.push(d));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  port = (server.address() as { port: number }).port;
});
afterAll(async () => {
  for (const p of peers) p.destroy();
  await new Promise<void>((r) => server.close(() => r()));
});

describe("BlockingTcp", () => {
  it("sends everything synchronously and knows when the peer has acknowledged it", async () => {
    const c = BlockingTcp.connect("127.0.0.1", port, 1000);
    // Log-sized: the peer (this process) does not read while we wait, so its window must hold it.
    const data = Buffer.alloc(20 * 1024, 7);
    c.send(data);
    expect(c.waitAcknowledged(2000)).toBe(true);
    await new Promise((r) => setTimeout(r, 100));
    expect(Buffer.concat(received).length).toBe(data.length);
    c.close();
    expect(c.waitAcknowledged(100)).toBe(false);
    expect(() => c.send(Buffer.from("x"))).toThrow("connection already closed");
  });

  it("names the peer when the connection is refused", () => {
    const t0 = Date.now();
    expect(() => BlockingTcp.connect("127.0.0.1", 1, 1000)).toThrow(/connect.*127\.0\.0\.1:1/);
    expect(Date.now() - t0).toBeLessThan(1000);
  });
});

describe("ipv6Bytes", () => {
  it("reads every text form, and refuses what is not one", () => {
    expect(ipv6Bytes("fd77::100").toString("hex")).toBe("fd770000000000000000000000000100");
    expect(ipv6Bytes("::").toString("hex")).toBe("0".repeat(32));
    expect(ipv6Bytes("::1").toString("hex")).toBe("0".repeat(30) + "01");
    expect(ipv6Bytes("fe80::5054:ff:fe12:3456").toString("hex")).toBe("fe80000000000000505400fffe123456");
    expect(ipv6Bytes("2001:db8:0:0:1:0:0:1").toString("hex")).toBe("20010db8000000000001000000000001");
    expect(ipv6Bytes("::ffff:10.0.2.15").toString("hex")).toBe("00000000000000000000ffff0a00020f");
    expect(ipBytes("10.0.2.15").toString("hex")).toBe("0a00020f");
    for (const bad of ["1::2::3", "1:2:3:4:5:6:7", "1:2:3:4:5:6:7:8:9", "12345::", "g::1", "1:2:3:4:5:6:7::8"]) expect(() => ipv6Bytes(bad)).toThrow(`not an IPv6 address: ${bad}`);
  });
});

describe("IPv6 for the remote syslog", () => {
  it("connects and sends over TCP to an IPv6 address", async () => {
    const got: Buffer[] = [];
    const v6 = createServer((s) => s.on("data", (d) => got.push(d)));
    await new Promise<void>((r) => v6.listen(0, "::1", r));
    const p = (v6.address() as { port: number }).port;
    const c = BlockingTcp.connect("::1", p, 1000);
    c.send(Buffer.from("<30>1 over IPv6\n"));
    expect(c.waitAcknowledged(2000)).toBe(true);
    await new Promise((r) => setTimeout(r, 100));
    expect(Buffer.concat(got).toString()).toBe("<30>1 over IPv6\n");
    c.close();
    await new Promise<void>((r) => v6.close(() => r()));
    expect(() => BlockingTcp.connect("::1", p, 1000)).toThrow(`[::1]:${p}`);
  });

  it("sends UDP datagrams to an IPv6 address from a socket tied to the device", async () => {
    const sock = createSocket("udp6");
    const got = new Promise<Buffer>((r) => sock.once("message", r));
    await new Promise<void>((r) => sock.bind(0, "::1", r));
    const u = DeviceUdpSocket.open("lo", 0, null, "::");
    u.send(Buffer.from("<30>1 datagram"), "::1", sock.address().port);
    expect((await got).toString()).toBe("<30>1 datagram");
    u.close();
    sock.close();
    expect(() => DeviceUdpSocket.open("lo", 0, () => undefined, "::")).toThrow("IPv6 sockets only send");
  });
});
