import { describe, expect, it } from "vitest";
import { NTP_PACKET_SIZE, SntpRefused, clockOffset, decodeReply, encodeRequest, fromNtpTimestamp, toNtpTimestamp } from "./sntp";

const T = Date.UTC(2026, 11, 1, 3, 0, 0, 250);

/** A server reply to `request` as RFC 4330 describes it. */
function reply(request: Buffer, o: { leap?: number; version?: number; mode?: number; stratum?: number; receive?: number; transmit?: number; refId?: string } = {}): Buffer {
  const b = Buffer.alloc(NTP_PACKET_SIZE);
  b[0] = ((o.leap ?? 0) << 6) | ((o.version ?? 4) << 3) | (o.mode ?? 4);
  b[1] = o.stratum ?? 2;
  Buffer.from(o.refId ?? "GPS\0", "latin1").copy(b, 12);
  request.copy(b, 24, 40, 48); // originate = the client's transmit
  toNtpTimestamp(o.receive ?? T).copy(b, 32);
  if (o.transmit !== 0) toNtpTimestamp(o.transmit ?? T + 1).copy(b, 40);
  return b;
}

describe("NTP timestamps", () => {
  it("round-trip to the millisecond, and encode 1970 and 2026 as RFC 4330 counts from 1900", () => {
    for (const ms of [T, 0, 1_000_000_000_123]) expect(Math.round(fromNtpTimestamp(toNtpTimestamp(ms)))).toBe(ms);
    expect(toNtpTimestamp(0).readUInt32BE(0)).toBe(2_208_988_800);
    expect(toNtpTimestamp(500).readUInt32BE(4)).toBe(2 ** 31);
  });

  it("reads era 1 (from 2036-02-07, when the seconds wrap) as RFC 4330 section 3 says", () => {
    const after = Date.UTC(2040, 0, 1);
    const b = toNtpTimestamp(after);
    expect(b.readUInt32BE(0)).toBeLessThan(0x80000000);
    expect(fromNtpTimestamp(b)).toBe(after);
  });
});

describe("SNTP request and reply", () => {
  it("asks as a version 4 client with its own transmit time", () => {
    const r = encodeRequest(T);
    expect(r.length).toBe(48);
    expect(r[0]).toBe(0x23);
    expect(Math.round(fromNtpTimestamp(r, 40))).toBe(T);
    expect(r.subarray(1, 40).every((x) => x === 0)).toBe(true);
  });

  it("takes a server's answer to this request, and computes the offset and round trip", () => {
    const req = encodeRequest(T - 10_000);
    const r = decodeReply(reply(req, { receive: T, transmit: T + 2 }), req);
    expect(r).toEqual({ stratum: 2, receiveMs: T, transmitMs: T + 2 });
    // Our clock is 10 s behind; the request took 5 ms each way, the server 2 ms.
    const { offsetMs, delayMs } = clockOffset(T - 10_000 - 5, r!, T - 10_000 + 7);
    expect(Math.round(offsetMs)).toBe(10_000);
    expect(Math.round(delayMs)).toBe(10);
  });

  it("ignores what is not the answer: another request's, a client packet, an old version, a short packet", () => {
    const req = encodeRequest(T);
    expect(decodeReply(reply(encodeRequest(T + 1)), req)).toBeNull();
    expect(decodeReply(reply(req, { mode: 3 }), req)).toBeNull();
    expect(decodeReply(reply(req, { version: 2 }), req)).toBeNull();
    expect(decodeReply(reply(req).subarray(0, 47), req)).toBeNull();
  });

  it("refuses a kiss-o'-death, an unsynchronized server, stratum over 15 and a missing transmit time", () => {
    const req = encodeRequest(T);
    expect(() => decodeReply(reply(req, { stratum: 0, refId: "RATE" }), req)).toThrow(new SntpRefused("kiss-o'-death RATE", true));
    expect(() => decodeReply(reply(req, { leap: 3 }), req)).toThrow("the server's own clock is not synchronized");
    expect(() => decodeReply(reply(req, { stratum: 16 }), req)).toThrow("stratum 16 (over 15)");
    expect(() => decodeReply(reply(req, { transmit: 0 }), req)).toThrow("no transmit timestamp");
  });
});
