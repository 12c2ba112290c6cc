// A TCP proxy in front of a real server that cuts chosen connections after N response bytes (headers
// included), and keeps what each client sent, so a test sees the real request headers and can break
// any server's responses mid-body.
import { connect, createServer, type AddressInfo, type Socket } from "node:net";

export interface CutProxy {
  port: number;
  /** Request heads (text up to the blank line) in connection order. */
  requests: string[];
  /** Response heads in connection order. */
  responses: string[];
  close(): Promise<void>;
}

export async function startCutProxy(targetPort: number, cutAfter: (conn: number) => number | undefined): Promise<CutProxy> {
  const requests: string[] = [];
  const responses: string[] = [];
  const sockets = new Set<Socket>();
  let conn = 0;
  const server = createServer((client) => {
    const index = conn++;
    const limit = cutAfter(index);
    const upstream = connect(targetPort, "127.0.0.1");
    sockets.add(client).add(upstream);
    let req = "";
    let head = "";
    let passed = 0;
    client.on("data", (d) => {
      if (!req.includes("\r\n\r\n")) {
        req += d.toString("latin1");
        if (req.includes("\r\n\r\n")) requests.push(req.slice(0, req.indexOf("\r\n\r\n")));
      }
      upstream.write(d);
    });
    upstream.on("data", (d) => {
      if (!head.includes("\r\n\r\n")) {
        head += d.toString("latin1");
        if (head.includes("\r\n\r\n")) responses.push(head.slice(0, head.indexOf("\r\n\r\n")));
      }
      if (limit !== undefined && passed + d.length >= limit) {
        client.write(d.subarray(0, limit - passed), () => {
          client.destroy();
          upstream.destroy();
        });
        passed = limit;
        upstream.pause();
        return;
      }
      passed += d.length;
      if (!client.write(d)) {
        upstream.pause();
        client.once("drain", () => upstream.resume());
      }
    });
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on("error", end).on("close", end);
    upstream.on("error", end).on("end", () => client.end());
    client.on("close", () => sockets.delete(client));
    upstream.on("close", () => sockets.delete(upstream));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  return {
    port: (server.address() as AddressInfo).port,
    requests,
    responses,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}
