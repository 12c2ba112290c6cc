// SNTP (RFC 4330), the client half: the request, and what a reply says about our clock. Pure:
// the socket is in query.ts.

export const NTP_PACKET_SIZE = 48;
/** Seconds from the NTP epoch (1900) to the Unix epoch (1970). */
const EPOCH_DELTA = 2_208_988_800;
const MODE_CLIENT = 3;
const MODE_SERVER = 4;

/** An NTP timestamp: 32 bits of seconds and 32 of fraction, as the 8 bytes on the wire. */
export function toNtpTimestamp(ms: number): Buffer {
  const b = Buffer.alloc(8);
  const secs = Math.floor(ms / 1000);
  // Era 1 (from 2036-02-07) wraps to small values, as RFC 4330 section 3 describes.
  b.writeUInt32BE((secs + EPOCH_DELTA) % 2 ** 32, 0);
  b.writeUInt32BE(Math.floor(((ms - secs * 1000) / 1000) * 2 ** 32), 4);
  return b;
}

/** Milliseconds since the Unix epoch; a timestamp with the high bit clear is in 2036-2104 (RFC 4330 3). */
export function fromNtpTimestamp(b: Buffer, off = 0): number {
  let secs = b.readUInt32BE(off);
  if (secs < 0x80000000) secs += 2 ** 32;
  return (secs - EPOCH_DELTA) * 1000 + (b.readUInt32BE(off + 4) / 2 ** 32) * 1000;
}

/** A client request (version 4, mode 3) carrying our transmit time, which the server echoes. */
export function encodeRequest(transmitMs: number): Buffer {
  const b = Buffer.alloc(NTP_PACKET_SIZE);
  b[0] = (4 << 3) | MODE_CLIENT;
  toNtpTimestamp(transmitMs).copy(b, 40);
  return b;
}

export interface SntpReply {
  stratum: number;
  /** When the server received the request and sent the reply, on its clock (ms since 1970). */
  receiveMs: number;
  transmitMs: number;
}

/** Why a reply cannot be used; `kiss` when the server asked us to go away (stratum 0). */
export class SntpRefused extends Error {
  readonly kiss: boolean;
  constructor(message: string, kiss = false) {
    super(message);
    this.name = "SntpRefused";
    this.kiss = kiss;
  }
}

/**
 * Checks a reply against RFC 4330 section 5 and returns its times; null when it is not the answer
 * to `request` (another transaction, or not a server reply at all), a SntpRefused when the server
 * answered but its time must not be used.
 */
export function decodeReply(b: Buffer, request: Buffer): SntpReply | null {
  if (b.length < NTP_PACKET_SIZE) return null;
  const leap = b[0] >> 6;
  const version = (b[0] >> 3) & 7;
  const mode = b[0] & 7;
  if (mode !== MODE_SERVER || version < 3 || version > 4) return null;
  // The originate timestamp must be our transmit timestamp: anything else is not our answer.
  if (!b.subarray(24, 32).equals(request.subarray(40, 48))) return null;
  const stratum = b[1];
  if (stratum === 0) {
    const code = b.subarray(12, 16).toString("latin1").replace(/[^\x20-\x7e]/g, "");
    throw new SntpRefused(`kiss-o'-death ${code || "(no code)"}`, true);
  }
  if (leap === 3) throw new SntpRefused("the server's own clock is not synchronized");
  if (stratum > 15) throw new SntpRefused(`stratum ${stratum} (over 15)`);
  if (b.readUInt32BE(40) === 0 && b.readUInt32BE(44) === 0) throw new SntpRefused("no transmit timestamp");
  return { stratum, receiveMs: fromNtpTimestamp(b, 32), transmitMs: fromNtpTimestamp(b, 40) };
}

/** How far our clock is behind the server's (positive: ours is slow), and the round trip (RFC 4330 5). */
export function clockOffset(sentMs: number, reply: SntpReply, arrivedMs: number): { offsetMs: number; delayMs: number } {
  return {
    offsetMs: (reply.receiveMs - sentMs + (reply.transmitMs - arrivedMs)) / 2,
    delayMs: arrivedMs - sentMs - (reply.transmitMs - reply.receiveMs),
  };
}
