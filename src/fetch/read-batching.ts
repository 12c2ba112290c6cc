// Fewer, fuller socket reads while a body streams in. Every read travels through net.Socket,
// undici's parser and our streams; in a TCG guest a 200 MB layer arrived in pieces small enough
// that this per-piece work, not the network, set the pace. While bytes keep arriving, the socket
// asks the kernel to report it readable only once READ_BATCH bytes are queued (SO_RCVLOWAT);
// whenever a tick passes with nothing read (the body's tail, the next response's headers, a slow
// link), the mark drops back to one byte, so nothing waits much longer than a tick.
import type { Socket } from "node:net";
import { setReceiveLowWater } from "../sys/socket";

const READ_BATCH = 128 * 1024;
const TICK_MS = 20;

export function batchReads(socket: Socket): void {
  const fd = (socket as unknown as { _handle?: { fd?: number } })._handle?.fd;
  if (typeof fd !== "number" || fd < 0) return;
  let last = socket.bytesRead;
  let high = false;
  const timer = setInterval(() => {
    const now = socket.bytesRead;
    const flowing = now > last;
    last = now;
    if (flowing !== high && !socket.destroyed) {
      if (!setReceiveLowWater(fd, flowing ? READ_BATCH : 1)) {
        clearInterval(timer);
        return;
      }
      high = flowing;
    }
  }, TICK_MS);
  timer.unref();
  socket.once("close", () => clearInterval(timer));
}
