// Console lines over TCP (RFC 6587, octet counting) to a real rsyslogd, and what happens while
// the server refuses: nothing blocks for long, the lines are kept and go out once it answers.
import { createServer, type Server, type Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Rsyslogd, startRsyslogd } from "../testing/rsyslogd";
import { freeUdpPort } from "../testing/udp-port";
import { configureLog, error, info, warn } from "./log";
import { TCP_RETRY_MS, startSyslog } from "./syslog";

let server: Rsyslogd;

beforeAll(async () => {
  server = await startRsyslogd({ address: "127.0.0.1", port: await freeUdpPort(), tcp: true });
}, 120_000);
afterAll(async () => {
  await server?.stop();
});

describe("tarboot.syslog=tcp://", () => {
  it("sends the earlier lines and then every line, framed so that a multi-line-safe server splits them right", async () => {
    configureLog({ quiet: true });
    info("booting 1 layer(s): http://srv/base.tar.zst");
    expect(startSyslog({ host: "127.0.0.1", port: server.port, transport: "tcp" }, "lo", () => "node7")).toBeNull();
    warn("layer 1/1 http://srv/base.tar.zst: connection reset at 12 MiB, retry 1/7 in 1s");
    error("layer 1/1: sha256 mismatch: expected 00, got 11");
    const lines = await server.waitFor(/sha256 mismatch/, 5000);
    // TCP keeps the order.
    expect(lines).toEqual([
      `30 node7 tarboot ${process.pid} booting 1 layer(s): http://srv/base.tar.zst`,
      `28 node7 tarboot ${process.pid} layer 1/1 http://srv/base.tar.zst: connection reset at 12 MiB, retry 1/7 in 1s`,
      `27 node7 tarboot ${process.pid} layer 1/1: sha256 mismatch: expected 00, got 11`,
    ]);
  });

  it("keeps the lines while the server refuses, and sends them in order once it answers", async () => {
    // A port nothing listens on yet; the clock is the test's, so "ten seconds later" is immediate.
    let clock = 1_000_000;
    const spare = createServer();
    await new Promise<void>((r) => spare.listen(0, "127.0.0.1", r));
    const port = (spare.address() as { port: number }).port;
    await new Promise<void>((r) => spare.close(() => r()));
    const failed = startSyslog({ host: "127.0.0.1", port, transport: "tcp" }, "lo", () => "node8", () => clock);
    expect(failed).toMatch(/connect/);
    const t0 = Date.now();
    for (let i = 1; i <= 3; i++) warn(`line ${i} while down`);
    expect(Date.now() - t0).toBeLessThan(500);
    // The server comes up; the next line after the retry interval brings everything.
    const got: string[] = [];
    const accepted: Socket[] = [];
    const late: Server = createServer((s) => {
      accepted.push(s);
      s.on("data", (d) => got.push(d.toString()));
    });
    await new Promise<void>((r) => late.listen(port, "127.0.0.1", r));
    try {
      clock += TCP_RETRY_MS;
      warn("line 4, server up");
      await new Promise((r) => setTimeout(r, 300));
      const text = got.join("");
      const messages = [...text.matchAll(/(\d+) /g)].length;
      expect(messages).toBeGreaterThanOrEqual(4);
      const order = ["line 1 while down", "line 2 while down", "line 3 while down", "line 4, server up"].map((l) => text.indexOf(l));
      expect(order.every((x) => x >= 0)).toBe(true);
      expect([...order].sort((a, b) => a - b)).toEqual(order);
      // Octet counting: each frame's length is what follows its space.
      const first = /^(\d+) /.exec(text);
      expect(first).not.toBeNull();
      const len = Number(first![1]);
      expect(text.slice(first![0].length, first![0].length + len)).toMatch(/^<\d+>1 \S+ node8 tarboot \d+ - - /);
    } finally {
      for (const s of accepted) s.destroy();
      await new Promise<void>((r) => late.close(() => r()));
    }
  });
});
