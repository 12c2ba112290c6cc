// Test servers on loopback UDP ports picked at run time.

/** A UDP port nobody uses now on 127.0.0.1. */
export async function freeUdpPort(): Promise<number> {
  const { createSocket } = await import("node:dgram");
  const s = createSocket("udp4");
  await new Promise<void>((r) => s.bind(0, "127.0.0.1", r));
  const port = s.address().port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

