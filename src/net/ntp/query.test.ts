// The SNTP client against a real NTP server: chronyd on a loopback port, serving this machine's
// clock (so the offset it reports is ours to within the round trip).
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { type DnsResponder, startDnsResponder } from "../../fetch/testing/dns-responder";
import { type Chronyd, startChronyd } from "../../testing/chronyd";
import { freeUdpPort } from "../../testing/udp-port";
import { queryServer } from "./query";
import type { Lease } from "../lease";
import { type AddressOf, leaseAddressOf } from "../server-address";
import { setClockFromNtp } from "./set-clock";

let chronyd: Chronyd;
let dns: DnsResponder;
let addressOf: AddressOf;

beforeAll(async () => {
  chronyd = await startChronyd({ address: "127.0.0.1", port: await freeUdpPort() });
  // Names are looked up through the lease's DNS server, with its search domain.
  dns = await startDnsResponder({ "ntp1.lab.example": "127.0.0.1" });
  const lease: Lease = {
    source: "dhcp", iface: "lo", mac: "00:00:00:00:00:00", address: "127.0.0.1", prefix: 8, netmask: "255.0.0.0",
    dns: [dns.server], search: [], ntp: [], domain: "lab.example",
  };
  addressOf = leaseAddressOf(lease, 500);
}, 120_000);
afterAll(async () => {
  await chronyd?.stop();
  await dns?.close();
});

describe("SNTP against chronyd", () => {
  it("gets chronyd's time: its stratum, and an offset and round trip of a few milliseconds", async () => {
    const a = await queryServer({ host: "127.0.0.1", port: chronyd.port }, 2000);
    expect(a.stratum).toBe(8);
    expect(Math.abs(a.offsetMs)).toBeLessThan(50);
    expect(a.delayMs).toBeGreaterThanOrEqual(0);
    expect(a.delayMs).toBeLessThan(200);
  });

  it("says when a server does not answer", async () => {
    const silent = await freeUdpPort();
    const started = Date.now();
    await expect(queryServer({ host: "127.0.0.1", port: silent }, 400)).rejects.toThrow(/^no answer in 400 ms$/);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it("goes on to the next server, and steps the clock by the answer when the offset is over the threshold", async () => {
    const silent = await freeUdpPort();
    const set = vi.fn();
    const servers = [{ host: "127.0.0.1", port: silent }, { host: "127.0.0.1", port: chronyd.port }];
    // Threshold 0: any offset steps, so the step is made (into `set`: this machine's clock stays).
    const r = await setClockFromNtp(servers, { timeoutMs: 400, stepMs: 0, set, addressOf });
    expect(r).toMatchObject({ kind: "stepped", server: `127.0.0.1:${chronyd.port}` });
    expect(set).toHaveBeenCalledTimes(1);
    expect(Math.abs(set.mock.calls[0][0] - Date.now())).toBeLessThan(500);
    // The usual threshold: chronyd agrees with this machine, nothing to step.
    const kept = await setClockFromNtp(servers.slice(1), { timeoutMs: 1000, stepMs: 500, set, addressOf });
    expect(kept).toMatchObject({ kind: "kept" });
    expect(set).toHaveBeenCalledTimes(1);
  });

  it("looks up servers given by name through the lease's DNS server, and names a lookup that failed", async () => {
    const set = vi.fn();
    const r = await setClockFromNtp([{ host: "ghost", port: chronyd.port }, { host: "ntp1", port: chronyd.port }], { timeoutMs: 1000, stepMs: 0, set, addressOf });
    expect(r).toMatchObject({ kind: "stepped", server: `ntp1:${chronyd.port}` });
    expect(set).toHaveBeenCalledTimes(1);
    expect(dns.queries).toContain("ntp1.lab.example/1");
    const failed = await setClockFromNtp([{ host: "ghost", port: chronyd.port }], { timeoutMs: 1000, stepMs: 0, set, addressOf });
    expect(failed).toEqual({
      kind: "failed",
      reasons: [`ghost:${chronyd.port}: DNS: ghost (tried ghost.lab.example, ghost) does not exist (NXDOMAIN via ${dns.server})`],
    });
    const noDns = await setClockFromNtp([{ host: "ntp1", port: chronyd.port }], { timeoutMs: 1000, stepMs: 0, set, addressOf: leaseAddressOf(null, 500) });
    expect(noDns).toEqual({ kind: "failed", reasons: [`ntp1:${chronyd.port}: cannot look up ntp1: the lease names no DNS server`] });
  });

  it("reports every server's reason when none answers, and leaves the clock", async () => {
    const set = vi.fn();
    const ports = [await freeUdpPort(), await freeUdpPort()];
    const r = await setClockFromNtp(ports.map((port) => ({ host: "127.0.0.1", port })), { timeoutMs: 300, stepMs: 500, set, addressOf });
    expect(r.kind).toBe("failed");
    expect(r.kind === "failed" && r.reasons.map((x) => x.split(":").slice(0, 2).join(":"))).toEqual(ports.map((p) => `127.0.0.1:${p}`));
    expect(set).not.toHaveBeenCalled();
  });
});
