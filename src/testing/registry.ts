// A real container registry for the tests: Debian's docker-registry (Distribution 2.8), unpacked
// from its package (installing it would start a daemon on this machine), on loopback without auth,
// and an image pushed into it from an OCI layout through the registry's own HTTP API.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stopDaemon } from "./daemon";
import { unpackedPackage } from "./debian-package";
import { freeTcpPort } from "./udp-port";

export interface Registry {
  /** http://127.0.0.1:PORT */
  base: string;
  /** Pushes the image tagged `tag` in the OCI layout `layout` as NAME:TAG. */
  push(layout: string, tag: string, name: string): Promise<void>;
  stop(): Promise<void>;
}

function call(method: string, url: string, body?: Buffer, headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers: { ...headers, ...(body ? { "Content-Length": String(body.length) } : {}) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString("utf8") }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

export async function startRegistry(): Promise<Registry> {
  const tree = await unpackedPackage("docker-registry", "usr/bin/docker-registry");
  const dir = mkdtempSync(join(tmpdir(), "tarboot-registry-"));
  const port = await freeTcpPort();
  writeFileSync(
    join(dir, "config.yml"),
    ["version: 0.1", "log:", "  level: warn", "storage:", "  filesystem:", `    rootdirectory: ${join(dir, "data")}`, "http:", `  addr: 127.0.0.1:${port}`, ""].join("\n"),
  );
  const child: ChildProcess = spawn(join(tree, "usr/bin/docker-registry"), ["serve", join(dir, "config.yml")], { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr?.on("data", (d: Buffer) => (stderr += d.toString()));
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    const up = await call("GET", `${base}/v2/`).then(
      (r) => r.status === 200,
      () => false,
    );
    if (up) break;
    if (child.exitCode !== null || i > 100) throw new Error(`docker-registry did not start: ${stderr}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    base,
    async push(layout, tag, name) {
      const index = JSON.parse(readFileSync(join(layout, "index.json"), "utf8"));
      const desc = index.manifests.find((d: { annotations?: Record<string, string> }) => d.annotations?.["org.opencontainers.image.ref.name"] === tag);
      const blob = (digest: string) => readFileSync(join(layout, "blobs", "sha256", digest.slice("sha256:".length)));
      const manifestBytes = blob(desc.digest);
      const manifest = JSON.parse(manifestBytes.toString("utf8"));
      for (const d of [manifest.config, ...manifest.layers]) {
        const started = await call("POST", `${base}/v2/${name}/blobs/uploads/`);
        if (started.status !== 202) throw new Error(`upload of ${d.digest}: HTTP ${started.status} ${started.body}`);
        const location = new URL(String(started.headers.location), base);
        location.searchParams.set("digest", d.digest);
        const put = await call("PUT", location.toString(), blob(d.digest), { "Content-Type": "application/octet-stream" });
        if (put.status !== 201) throw new Error(`upload of ${d.digest}: HTTP ${put.status} ${put.body}`);
      }
      const put = await call("PUT", `${base}/v2/${name}/manifests/${tag}`, manifestBytes, { "Content-Type": desc.mediaType });
      if (put.status !== 201) throw new Error(`manifest ${name}:${tag}: HTTP ${put.status} ${put.body}`);
    },
    stop: () => stopDaemon(child, dir),
  };
}
