// One SNTP exchange with one server over UDP: a request, one retransmission halfway through the
// wait, and the first reply that answers either of them.
import { createSocket } from "node:dgram";
import type { NtpServer } from "../../cmdline/types";
import { formatHostPort } from "../../cmdline/values";
import { clockOffset, decodeReply, encodeRequest } from "./sntp";

export interface NtpAnswer {
  /** Add this to our clock to get the server's. */
  offsetMs: number;
  delayMs: number;
  stratum: number;
}

export function formatServer(s: NtpServer): string {
  return s.port === 123 ? s.host : formatHostPort(s.host, s.port);
}

/** Resolves with the server's view of our clock; rejects with the reason it gave none in `timeoutMs`. */
export function queryServer(server: NtpServer, timeoutMs: number): Promise<NtpAnswer> {
  return new Promise((resolve, reject) => {
    const sock = createSocket(server.host.includes(":") ? "udp6" : "udp4");
    // Wall-clock send times (what the protocol compares) and monotonic ones (for the arrival time,
    // which must not move if something else sets the clock meanwhile).
    const sent: { request: Buffer; wallMs: number; monoMs: number }[] = [];
    let refused: Error | undefined;
    const timers: NodeJS.Timeout[] = [];
    let done = false;
    const finish = (err: Error | null, answer?: NtpAnswer) => {
      if (done) return;
      done = true;
      for (const t of timers) clearTimeout(t);
      sock.close();
      if (err) reject(err);
      else resolve(answer as NtpAnswer);
    };
    sock.on("error", (err) => finish(err));
    sock.on("message", (msg) => {
      const monoNow = performance.now();
      for (const s of sent) {
        let reply;
        try {
          reply = decodeReply(msg, s.request);
        } catch (err) {
          // A kiss-o'-death or an unsynchronized server (SntpRefused): no point waiting for more from it.
          return finish(err as Error);
        }
        if (!reply) continue;
        const arrived = s.wallMs + (monoNow - s.monoMs);
        return finish(null, { ...clockOffset(s.wallMs, reply, arrived), stratum: reply.stratum });
      }
    });
    const send = () => {
      const wallMs = Date.now();
      const request = encodeRequest(wallMs);
      sent.push({ request, wallMs, monoMs: performance.now() });
      sock.send(request, server.port, server.host, (err) => {
        if (err) refused = err;
      });
    };
    timers.push(setTimeout(send, timeoutMs / 2));
    timers.push(setTimeout(() => finish(refused ?? new Error(`no answer in ${timeoutMs} ms`)), timeoutMs));
    send();
  });
}
