// nginx (Debian's nginx-light) serving a directory on 127.0.0.1, everything under a temp prefix.
import { spawn, type ChildProcess } from "node:child_process";
import { writeFileSync } from "node:fs";
import { connect, type AddressInfo } from "node:net";
import { join } from "node:path";
import { closedPort } from "./fault-server";

export interface Nginx {
  port: number;
  url(path: string): string;
  stop(): Promise<void>;
}

async function waitForPort(port: number, child: ChildProcess, stderr: () => string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`nginx exited with ${child.exitCode}: ${stderr()}`);
    const ok = await new Promise<boolean>((r) => {
      const s = connect(port, "127.0.0.1", () => (s.destroy(), r(true)));
      s.on("error", () => r(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`nginx did not listen on ${port}: ${stderr()}`);
}

export async function startNginx(prefix: string, root: string): Promise<Nginx> {
  const port = await closedPort();
  const conf = join(prefix, "nginx.conf");
  writeFileSync(
    conf,
    `worker_processes 1;
pid ${join(prefix, "nginx.pid")};
error_log ${join(prefix, "error.log")} warn;
events { worker_connections 64; }
http {
  access_log ${join(prefix, "access.log")};
  client_body_temp_path ${join(prefix, "body")};
  proxy_temp_path ${join(prefix, "proxy")};
  fastcgi_temp_path ${join(prefix, "fastcgi")};
  uwsgi_temp_path ${join(prefix, "uwsgi")};
  scgi_temp_path ${join(prefix, "scgi")};
  server {
    listen 127.0.0.1:${port};
    root ${root};
  }
}
`,
  );
  let err = "";
  const child = spawn("nginx", ["-p", prefix, "-c", conf, "-g", "daemon off; master_process off;"], { stdio: ["ignore", "ignore", "pipe"] });
  child.stderr!.on("data", (d) => (err += d));
  await waitForPort(port, child, () => err);
  return {
    port,
    url: (path) => `http://127.0.0.1:${port}${path}`,
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      await exited;
    },
  };
}
