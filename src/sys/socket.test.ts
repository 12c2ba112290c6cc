// BlockingTcp against real sockets on loopback: the connection the remote syslog keeps.
import { createServer, type Server, type Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BlockingTcp } from "./socket";

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
