import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAgent } from "./agent";

// A server that trickles its body in 8 KiB writes a millisecond apart, as a slow link delivers it.
const PIECE = 8 * 1024;
const PIECES = 256;
let server: Server;
let url: string;

beforeAll(async () => {
  server = createServer((_req, res) => {
    res.writeHead(200, { "content-length": String(PIECE * PIECES) });
    let n = 0;
    const tick = setInterval(() => {
      res.write(Buffer.alloc(PIECE, n & 0xff));
      if (++n === PIECES) {
        clearInterval(tick);
        res.end();
      }
    }, 1);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
});

afterAll(() => new Promise<void>((r) => server.close(() => r())));

async function chunkSizes(batch: boolean): Promise<number[]> {
  const agent = createAgent({ timeoutMs: 10_000, batchReads: batch });
  const sizes: number[] = [];
  try {
    await agent.stream({ origin: new URL(url).origin, path: "/", method: "GET" }, () => new Writable({ write: (c: Buffer, _e, cb) => (sizes.push(c.length), cb()) }));
    // The connection is reused for a second response: its headers must not wait for a full batch.
    const t = performance.now();
    await agent.stream({ origin: new URL(url).origin, path: "/", method: "GET" }, () => new Writable({ write: (_c, _e, cb) => cb() }));
    expect(performance.now() - t).toBeLessThan(5_000);
  } finally {
    await agent.close();
  }
  return sizes;
}

describe("socket read batching", () => {
  it("delivers a trickling body in fewer, larger pieces, the whole of it, tail included", async () => {
    const plain = await chunkSizes(false);
    const batched = await chunkSizes(true);
    const total = (s: number[]) => s.reduce((a, b) => a + b, 0);
    expect(total(plain)).toBe(PIECE * PIECES);
    expect(total(batched)).toBe(PIECE * PIECES);
    // Unbatched, each 8 KiB write arrives on its own; batched, reads wait for tens of KiB.
    expect(plain.length).toBeGreaterThan(PIECES / 2);
    expect(batched.length).toBeLessThan(plain.length / 3);
  });
});
