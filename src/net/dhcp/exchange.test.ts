import { describe, expect, it } from "vitest";
import { exchange, type ExchangeSocket } from "./exchange";

/** A socket whose "server" answers each send after the given delays, with the given values. */
function answering(replies: { afterMs: number; value: number }[]): ExchangeSocket<string, number> & { sent: number } {
  let listener: ((r: number) => void) | null = null;
  const sock = {
    iface: "test0",
    sent: 0,
    send() {
      // Only the first send is answered: later ones are retransmissions of the same question.
      if (sock.sent++ > 0) return;
      for (const r of replies) setTimeout(() => listener?.(r.value), r.afterMs);
    },
    setListener(fn: ((r: number) => void) | null) {
      listener = fn;
    },
  };
  return sock;
}

const run = (replies: { afterMs: number; value: number }[], collect?: { windowMs: number; enough: number }, deadlineMs = 2000) => {
  const startedAt = Date.now();
  return exchange<number, string, number>({
    socket: answering(replies),
    build: () => "solicit",
    to: "ff02::1:2",
    accept: (v) => (v < 0 ? undefined : v),
    startedAt,
    deadline: startedAt + deadlineMs,
    delay: () => 1000,
    ...(collect && { collect: { ...collect, rank: (v: number) => v % 1000 } }),
  });
};

describe("exchange", () => {
  it("takes the first accepted reply without a collection window", async () => {
    const r = await run([{ afterMs: 10, value: 5 }, { afterMs: 30, value: 200 }]);
    expect(r).toMatchObject({ ok: true, value: 5 });
  });

  it("with a window, takes the best ranked reply of the window, the first among equals", async () => {
    const r = await run([{ afterMs: 10, value: 5 }, { afterMs: 40, value: 200 }, { afterMs: 60, value: 1200 }, { afterMs: 300, value: 250 }], { windowMs: 150, enough: 255 });
    expect(r).toMatchObject({ ok: true, value: 200 });
  });

  it("takes a reply that ranks enough at once, and skips what accept refuses", async () => {
    const started = Date.now();
    const r = await run([{ afterMs: 10, value: -1 }, { afterMs: 20, value: 3 }, { afterMs: 40, value: 255 }, { afterMs: 60, value: 254 }], { windowMs: 1000, enough: 255 });
    expect(r).toMatchObject({ ok: true, value: 255 });
    expect(Date.now() - started).toBeLessThan(500);
  });

  it("after an empty window, takes the first reply that comes", async () => {
    const r = await run([{ afterMs: 200, value: 1 }, { afterMs: 250, value: 100 }], { windowMs: 100, enough: 255 });
    expect(r).toMatchObject({ ok: true, value: 1 });
  });

  it("gives up at the deadline with nothing, keeping what the window held when the deadline comes first", async () => {
    expect(await run([], { windowMs: 100, enough: 255 }, 300)).toMatchObject({ ok: false, reason: "timeout" });
    expect(await run([{ afterMs: 20, value: 7 }], { windowMs: 5000, enough: 255 }, 300)).toMatchObject({ ok: true, value: 7 });
  });
});
