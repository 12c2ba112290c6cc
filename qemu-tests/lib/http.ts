// A plain static file server on 127.0.0.1 for the guest (reached as 10.0.2.2:PORT), logging
// requests; HTTPS with the key and certificate given.
import { createReadStream, statSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createTlsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { join, normalize } from "node:path";

export interface FileServer {
  port: number;
  /** "GET /base.tar.zst 200" lines, in order. */
  requests: string[];
  close(): Promise<void>;
}

/** `host` "::1" serves the guest over IPv6, as [fec0::2]:PORT on QEMU's user network. */
export async function serveDir(dir: string, tls?: { key: string; cert: string }, host = "127.0.0.1"): Promise<FileServer> {
  const requests: string[] = [];
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    const path = normalize(decodeURIComponent((req.url ?? "/").split("?")[0]));
    const file = join(dir, path);
    let size: number;
    try {
      const st = statSync(file);
      if (!st.isFile()) throw new Error("not a file");
      size = st.size;
    } catch {
      requests.push(`${req.method} ${req.url} 404`);
      res.writeHead(404).end("not found\n");
      return;
    }
    requests.push(`${req.method} ${req.url} 200`);
    res.writeHead(200, { "content-length": size, "content-type": "application/octet-stream" });
    if (req.method === "HEAD") return void res.end();
    createReadStream(file).pipe(res);
  };
  const server: Server = tls ? createTlsServer(tls, handler) : createServer(handler);
  await new Promise<void>((r) => server.listen(0, host, r));
  return {
    port: (server.address() as AddressInfo).port,
    requests,
    close: () => new Promise((r) => server.close(() => r())),
  };
}
