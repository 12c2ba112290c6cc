// `tarboot oci-root` against image layouts umoci writes and a registry (Debian's umoci and
// docker-registry, unpacked from their packages), and the parameters it prints booted through the
// mount stage's own code from a real HTTP server: the tree must be what `umoci unpack` makes.
import { execFileSync } from "node:child_process";
import { createReadStream, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { unpackLayers } from "../boot/layers";
import { parseBootConfig } from "../cmdline/parse";
import { unpackedPackage } from "../testing/debian-package";
import { captureLog } from "../testing/log-lines";
import { type Registry, startRegistry } from "../testing/registry";
import { TmpfsScratch } from "../testing/tar-fixtures";
import { compareDirs } from "../testing/tartree";
import { readLayout, splitReference, taggedManifest } from "./oci-layout";
import { type Descriptor, manifestLayers, platformManifest } from "./oci-manifest";
import { parseRegistryRef, readRegistry } from "./oci-registry";
import { ociRootCommand } from "./oci-root";

let scratch: TmpfsScratch;
let layout: string;
let server: Server;
let registry: Registry;
let base: string;
const requests: string[] = [];

function tarOf(name: string, files: Record<string, string>): string {
  const dir = scratch.sub(`src-${name}`);
  for (const [p, content] of Object.entries(files)) {
    mkdirSync(join(dir, p, ".."), { recursive: true });
    writeFileSync(join(dir, p), content);
  }
  const tar = join(scratch.dir, `${name}.tar`);
  execFileSync("tar", ["--numeric-owner", "-cf", tar, "-C", dir, "."]);
  return tar;
}

/** What `tarboot oci-root ARGS` prints, and its exit status. */
async function command(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const o = vi.spyOn(process.stdout, "write").mockImplementation((s) => (out.push(String(s)), true));
  const e = vi.spyOn(process.stderr, "write").mockImplementation((s) => (err.push(String(s)), true));
  try {
    const code = await ociRootCommand(args);
    return { code, out: out.join(""), err: err.join("") };
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
}

/** Boots the printed parameters' layers into a fresh root with the mount stage's code; its console lines. */
async function boot(params: string, name: string): Promise<{ root: string; lines: string[] }> {
  const cfg = parseBootConfig({ cmdline: params.trim() });
  const root = scratch.sub(name);
  const lines = await captureLog(() => unpackLayers({ ...cfg, retries: 1, timeout: 5 }, null, root, join(scratch.dir, "no-keys")));
  return { root, lines };
}

const sameAsUmoci = (root: string) => compareDirs(join(scratch.dir, "bundle/rootfs"), root, { ignore: (rel, field) => rel === "" && field === "mtime" });

beforeAll(async () => {
  scratch = new TmpfsScratch("64m");
  const umoci = join(await unpackedPackage("umoci", "usr/bin/umoci"), "usr/bin/umoci");
  const run = (...args: string[]) => execFileSync(umoci, args, { stdio: ["ignore", "ignore", "pipe"] });
  layout = join(scratch.dir, "www", "debian");
  mkdirSync(join(layout, ".."));
  run("init", "--layout", layout);
  run("new", "--image", `${layout}:bookworm`);
  run("raw", "add-layer", "--image", `${layout}:bookworm`, tarOf("base", { "sbin/init": "#!/bin/sh\n", "etc/motd": "container\n", "var/cache/apt/pkgcache.bin": "big\n" }));
  run("raw", "add-layer", "--image", `${layout}:bookworm`, tarOf("top", { "etc/.wh.motd": "", "var/cache/apt/.wh..wh..opq": "", "etc/hostname": "node\n" }));
  run("unpack", "--image", `${layout}:bookworm`, join(scratch.dir, "bundle"));
  server = createServer((req, res) => {
    const path = join(scratch.dir, "www", decodeURIComponent(req.url ?? "/").replace(/^\/mirror[12]\//, "/debian/"));
    requests.push(req.url ?? "");
    if (!req.url?.startsWith("/mirror1/") && existsSync(path)) {
      res.writeHead(200, { "content-length": String(readFileSync(path).length) });
      return createReadStream(path).pipe(res);
    }
    res.writeHead(req.url?.startsWith("/mirror1/") ? 503 : 404).end();
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  registry = await startRegistry();
  await registry.push(layout, "bookworm", "hpc/node");
}, 120_000);
afterAll(async () => {
  await registry?.stop();
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  scratch?.dispose();
});

describe("tarboot oci-root, from an OCI image layout", () => {
  it("names the image's layers bottom first with their digests, which are the blobs' sha256", async () => {
    const layers = await readLayout(layout, "bookworm", "amd64");
    expect(layers).toHaveLength(2);
    for (const l of layers) {
      const file = join(layout, "blobs/sha256", l.sha256);
      expect(execFileSync("sha256sum", [file], { encoding: "utf8" }).split(" ")[0]).toBe(l.sha256);
      expect(l.mediaType).toBe("application/vnd.oci.image.layer.v1.tar+gzip");
    }
    const r = await command(`${layout}:bookworm`, `${base}/debian/`);
    expect(r.code).toBe(0);
    const cfg = parseBootConfig({ cmdline: r.out.trim() });
    expect(cfg.layers.map((p) => ({ urls: p.urls, sha256: p.sha256 }))).toEqual(layers.map((l) => ({ urls: [`${base}/debian/blobs/sha256/${l.sha256}`], sha256: l.sha256 })));
    // The only image: no tag needed.
    expect(await readLayout(layout, undefined, "amd64")).toEqual(layers);
  });

  it("boots as umoci unpacks it: each layer fetched and checked against its digest, whiteouts applied", async () => {
    const r = await command(`${layout}:bookworm`, `${base}/debian`);
    requests.length = 0;
    const { root, lines } = await boot(r.out, "booted");
    const layers = parseBootConfig({ cmdline: r.out.trim() }).layers;
    expect(requests).toEqual(layers.map((l) => new URL(l.urls[0]).pathname));
    expect(lines).toContainEqual(expect.stringMatching(/^layer 2\/2 .*: \d+ entries unpacked, 2 removed by whiteouts, sha256 verified$/));
    expect(sameAsUmoci(root)).toEqual([]);
    expect(existsSync(join(root, "etc/motd"))).toBe(false);
    expect(existsSync(join(root, "var/cache/apt/pkgcache.bin"))).toBe(false);
    expect(readFileSync(join(root, "etc/hostname"), "utf8")).toBe("node\n");
  });

  it("with several URLs, names the layers relative to tarboot.mirrors=, so a node goes on past a dead mirror", async () => {
    const r = await command(`${layout}:bookworm`, `${base}/mirror1,${base}/mirror2/`);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(new RegExp(`^tarboot\\.mirrors=${base}/mirror1/,${base}/mirror2/ root=blobs/sha256/[0-9a-f]{64}#sha256=[0-9a-f]{64},blobs/sha256/`));
    requests.length = 0;
    const { root } = await boot(r.out, "mirrored");
    expect(sameAsUmoci(root)).toEqual([]);
    expect(requests.some((u) => u.startsWith("/mirror1/"))).toBe(true);
    expect(requests.filter((u) => u.startsWith("/mirror2/"))).toHaveLength(2);
  });

  it("says what is wrong with a reference, a layout or an image", async () => {
    expect(splitReference("/srv/www/debian:bookworm")).toEqual({ layout: "/srv/www/debian", tag: "bookworm" });
    expect(splitReference("./img")).toEqual({ layout: "./img" });
    expect(splitReference("/srv/a:b/img")).toEqual({ layout: "/srv/a:b/img" });
    await expect(readLayout(layout, "trixie", "amd64")).rejects.toThrow("no image tagged trixie in the layout; it has bookworm");
    await expect(readLayout(join(scratch.dir, "www"), undefined, "amd64")).rejects.toThrow(/is not an OCI image layout \(no oci-layout file\)/);
    const d = (digest: string, extra: object = {}): Descriptor => ({ digest, size: 1, ...extra });
    const hex = "a".repeat(64);
    expect(() => taggedManifest({ manifests: [d(`sha256:${hex}`), d(`sha256:${"b".repeat(64)}`)] }, undefined)).toThrow(/holds 2 images .*name one as LAYOUT:TAG/);
    // A multi-platform index: the variant asked for, else the platforms there are.
    const index = {
      mediaType: "application/vnd.oci.image.index.v1+json",
      manifests: [
        d(`sha256:${"1".repeat(64)}`, { mediaType: "application/vnd.oci.image.manifest.v1+json", platform: { os: "linux", architecture: "amd64" } }),
        d(`sha256:${"2".repeat(64)}`, { mediaType: "application/vnd.oci.image.manifest.v1+json", platform: { os: "linux", architecture: "arm64" } }),
      ],
    };
    const read = async (x: Descriptor) => ({ mediaType: x.mediaType, layers: [{ ...d(x.digest), mediaType: "application/vnd.oci.image.layer.v1.tar" }] });
    expect((await platformManifest(index, read, "arm64")).layers?.[0].digest).toBe(`sha256:${"2".repeat(64)}`);
    await expect(platformManifest(index, read, "riscv64")).rejects.toThrow("the image has no linux/riscv64 variant (it has linux/amd64, linux/arm64); choose one with --arch");
    expect(() => manifestLayers({ layers: [d(`sha256:${hex}`, { mediaType: "application/vnd.cncf.helm.chart.content.v1.tar+gzip" })] })).toThrow(
      "layer 1 is application/vnd.cncf.helm.chart.content.v1.tar+gzip, not a tar layer tarboot can unpack",
    );
    expect(() => manifestLayers({ layers: [d(`sha512:${hex}`, { mediaType: "application/vnd.oci.image.layer.v1.tar" })] })).toThrow(/only sha256 digests can be checked/);
    expect(() => manifestLayers({ layers: [] })).toThrow("the image manifest lists no layers");
    expect(await command(`${layout}:bookworm`)).toMatchObject({ code: 1, err: `tarboot oci-root: ${layout}:bookworm: give the URL the layout is served at (http://host/path)\n` });
  });

  it("fails, naming the layer, when a blob is missing from the layout", async () => {
    const [first] = await readLayout(layout, "bookworm", "amd64");
    const blob = join(layout, "blobs/sha256", first.sha256);
    const saved = readFileSync(blob);
    execFileSync("rm", [blob]);
    try {
      const r = await command(`${layout}:bookworm`, base);
      expect(r.code).toBe(1);
      expect(r.err).toBe(`tarboot oci-root: ${layout}:bookworm: layer 1 (sha256:${first.sha256}) is not in the layout: ${blob} is missing\n`);
    } finally {
      writeFileSync(blob, saved);
    }
  });
});

describe("tarboot oci-root, from a registry", () => {
  it("reads the image's manifest from the registry and boots its blobs from there, as umoci unpacks the image", async () => {
    const ref = parseRegistryRef(`${registry.base}/hpc/node:bookworm`);
    expect(ref).toEqual({ base: registry.base, name: "hpc/node", reference: "bookworm" });
    const layers = await readRegistry(ref, "amd64");
    expect(layers).toEqual(await readLayout(layout, "bookworm", "amd64"));
    const r = await command(`${registry.base}/hpc/node:bookworm`);
    expect(r.code).toBe(0);
    expect(r.out).toBe(`root=${layers.map((l) => `${registry.base}/v2/hpc/node/blobs/sha256:${l.sha256}#sha256=${l.sha256}`).join(",")}\n`);
    const { root, lines } = await boot(r.out, "from-registry");
    expect(sameAsUmoci(root)).toEqual([]);
    expect(lines).toContainEqual(expect.stringMatching(/^layer 2\/2 .*: \d+ entries unpacked, 2 removed by whiteouts, sha256 verified$/));
    // By digest, as pinned images are named.
    const manifestDigest = JSON.parse(readFileSync(join(layout, "index.json"), "utf8")).manifests[0].digest;
    expect(await readRegistry(parseRegistryRef(`${registry.base}/hpc/node@${manifestDigest}`), "amd64")).toEqual(layers);
  });

  it("passes Basic credentials in the URL to the registry, and on to the nodes in the layer URLs", async () => {
    // A front that wants ops:s3cret before the registry (as an htpasswd-protected one does).
    const seen: string[] = [];
    const front = createServer((req, res) => {
      seen.push(`${req.method} ${req.url?.replace(/[0-9a-f]{64}/, "HEX")} ${req.headers.authorization ?? "-"}`);
      if (req.headers.authorization !== `Basic ${Buffer.from("ops:s3cret").toString("base64")}`) {
        return res.writeHead(401, { "WWW-Authenticate": 'Basic realm="registry"' }).end();
      }
      const up = request(`${registry.base}${req.url}`, { method: req.method, headers: { accept: req.headers.accept ?? "*/*" } }, (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
      });
      up.end();
    });
    await new Promise<void>((r) => front.listen(0, "127.0.0.1", r));
    try {
      const host = `127.0.0.1:${(front.address() as AddressInfo).port}`;
      expect((await command(`http://${host}/hpc/node:bookworm`)).err).toContain(`http://${host}/v2/hpc/node/manifests/bookworm: HTTP 401: the registry wants credentials (http://user:password@host/...)`);
      const r = await command(`http://ops:s3cret@${host}/hpc/node:bookworm`);
      expect(r.code).toBe(0);
      expect(r.out).toMatch(new RegExp(`^root=http://ops:s3cret@${host.replace(/\./g, "\\.")}/v2/hpc/node/blobs/sha256:`));
      const { root } = await boot(r.out, "registry-basic");
      expect(sameAsUmoci(root)).toEqual([]);
      const basic = `Basic ${Buffer.from("ops:s3cret").toString("base64")}`;
      expect(seen.filter((l) => l.includes("/blobs/"))).toEqual([`GET /v2/hpc/node/blobs/sha256:HEX ${basic}`, `GET /v2/hpc/node/blobs/sha256:HEX ${basic}`]);
    } finally {
      await new Promise<void>((r) => front.close(() => r()));
    }
  });

  it("says why a registry cannot serve the nodes: no such image, or Bearer tokens", async () => {
    const missing = await command(`${registry.base}/hpc/node:nosuch`);
    expect(missing.code).toBe(1);
    expect(missing.err).toBe(`tarboot oci-root: ${registry.base}/hpc/node:nosuch: ${registry.base}/v2/hpc/node/manifests/nosuch: HTTP 404 Not Found\n`);
    // What Docker Hub and most public registries answer without a token.
    const tokens = createServer((_req, res) => res.writeHead(401, { "WWW-Authenticate": 'Bearer realm="https://auth.example/token",service="registry.example"' }).end());
    await new Promise<void>((r) => tokens.listen(0, "127.0.0.1", r));
    try {
      const url = `http://127.0.0.1:${(tokens.address() as AddressInfo).port}`;
      const r = await command(`${url}/library/debian:bookworm`);
      expect(r.err).toContain("the registry hands out Bearer tokens, which a node cannot get: copy the image into an OCI layout (skopeo copy docker://... oci:DIR) and serve that");
    } finally {
      await new Promise<void>((r) => tokens.close(() => r()));
    }
    expect(() => parseRegistryRef("http://registry.example/Hpc/Node:1")).toThrow(/"Hpc\/Node" is not a repository name/);
    expect(parseRegistryRef("https://registry.example:5000/library/debian")).toEqual({ base: "https://registry.example:5000", name: "library/debian", reference: "latest" });
    expect(await command(`${registry.base}/hpc/node:bookworm`, "http://srv/")).toMatchObject({ code: 1 });
  });
});
