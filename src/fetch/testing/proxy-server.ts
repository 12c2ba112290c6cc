// A real forwarding HTTP proxy for the proxy tests: absolute-form GETs are fetched from the origin
// and passed back (a cut upstream cuts the client too), CONNECT opens a TCP tunnel. It records
// what it was asked, can demand credentials and refuse tunnels, as site proxies do.
import { type IncomingMessage, createServer, request } from "node:http";
import { type AddressInfo, type Socket, connect } from "node:net";

export interface TestProxy {
  url: string;
  /** "GET http://..." and "CONNECT host:port" lines, in order. */
  seen: string[];
  /** The Proxy-Authorization header of each request, in order. */
  auth: (string | undefined)[];
  close(): Promise<void>;
}

export async function startProxy(opts: { refuseConnect?: number; requireAuth?: string } = {}): Promise<TestProxy> {
  const seen: string[] = [];
  const auth: (string | undefined)[] = [];
  const sockets = new Set<Socket>();
  const denied = (req: IncomingMessage) => opts.requireAuth !== undefined && req.headers["proxy-authorization"] !== opts.requireAuth;
  const server = createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    auth.push(req.headers["proxy-authorization"]);
    if (denied(req)) return void res.writeHead(407, { "proxy-authenticate": "Basic" }).end();
    const { "proxy-authorization": _, ...headers } = req.headers;
    const up = request(req.url ?? "", { method: req.method, headers }, (upRes) => {
      res.writeHead(upRes.statusCode ?? 502, upRes.headers);
      upRes.pipe(res);
      upRes.on("aborted", () => res.destroy());
      upRes.on("error", () => res.destroy());
    });
    up.on("error", () => (res.headersSent ? res.destroy() : res.writeHead(502).end()));
    up.end();
  });
  server.on("connection", (s: Socket) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  server.on("connect", (req: IncomingMessage, client: Socket, head: Buffer) => {
    seen.push(`CONNECT ${req.url}`);
    auth.push(req.headers["proxy-authorization"]);
    if (opts.refuseConnect) return void client.end(`HTTP/1.1 ${opts.refuseConnect} Forbidden\r\n\r\n`);
    if (denied(req)) return void client.end("HTTP/1.1 407 Proxy Authentication Required\r\n\r\n");
    const [host, port] = [(req.url ?? "").replace(/:\d+$/, ""), Number((req.url ?? "").split(":").pop())];
    const upstream = connect(port, host.replace(/^\[(.*)\]$/, "$1"), () => {
      client.write("HTTP/1.1 200 Connection Established\r\n\r\n");
      if (head.length) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    upstream.on("error", () => client.destroy());
    client.on("error", () => upstream.destroy());
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    auth,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}
