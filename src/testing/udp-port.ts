// Test servers on loopback ports picked at run time.

/** A UDP port nobody uses now on 127.0.0.1. */
export async function freeUdpPort(): Promise<number> {
  const { createSocket } = await import("node:dgram");
  const s = createSocket("udp4");
  await new Promise<void>((r) => s.bind(0, "127.0.0.1", r));
  const port = s.address().port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}


/** A TCP port nobody listens on now on 127.0.0.1, for a server in another process. */
export async function freeTcpPort(): Promise<number> {
  const { createServer } = await import("node:net");
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}
