// `tarboot oci-root` against image layouts umoci writes (Debian's, unpacked from its package), and
// the root= it prints booted through the mount stage's own code from a real HTTP server: the tree
// must be what `umoci unpack` makes of the same image.
import { execFileSync } from "node:child_process";
import { createReadStream, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { unpackLayers } from "../boot/layers";
import { parseLayers } from "../cmdline/layers";
import { unpackedPackage } from "../testing/debian-package";
import { captureLog } from "../testing/log-lines";
import { bootConfig } from "../testing/root-fixtures";
import { TmpfsScratch } from "../testing/tar-fixtures";
import { compareDirs } from "../testing/tartree";
import { manifestLayers, ociRootCommand, readLayout, rootParameter, selectManifest, splitReference } from "./oci-root";

let scratch: TmpfsScratch;
let layout: string;
let server: Server;
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
    const path = join(scratch.dir, "www", decodeURIComponent(req.url ?? "/"));
    requests.push(req.url ?? "");
    if (!existsSync(path)) return res.writeHead(404).end();
    res.writeHead(200, { "content-length": String(readFileSync(path).length) });
    createReadStream(path).pipe(res);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/debian`;
}, 120_000);
afterAll(async () => {
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  scratch?.dispose();
});

describe("tarboot oci-root", () => {
  it("names the image's layers bottom first with their digests, which are the blobs' sha256", () => {
    const layers = readLayout(layout, "bookworm", "amd64");
    expect(layers).toHaveLength(2);
    for (const l of layers) {
      const file = join(layout, "blobs/sha256", l.sha256);
      expect(execFileSync("sha256sum", [file], { encoding: "utf8" }).split(" ")[0]).toBe(l.sha256);
      expect(l.mediaType).toBe("application/vnd.oci.image.layer.v1.tar+gzip");
    }
    const root = rootParameter(`${base}/`, layers);
    const parsed = parseLayers(root.slice("root=".length), []);
    expect(parsed.map((p) => ({ urls: p.urls, sha256: p.sha256 }))).toEqual(layers.map((l) => ({ urls: [`${base}/blobs/sha256/${l.sha256}`], sha256: l.sha256 })));
    // The only image: no tag needed.
    expect(readLayout(layout, undefined, "amd64")).toEqual(layers);
  });

  it("boots as umoci unpacks it: each layer fetched and checked against its digest, whiteouts applied", async () => {
    const [line] = (() => {
      const out: string[] = [];
      const spy = vi.spyOn(process.stdout, "write").mockImplementation((s) => (out.push(String(s)), true));
      try {
        expect(ociRootCommand([`${layout}:bookworm`, base])).toBe(0);
      } finally {
        spy.mockRestore();
      }
      return out;
    })();
    const layers = parseLayers(line.trim().slice("root=".length), []);
    const root = scratch.sub("booted");
    requests.length = 0;
    let results: Awaited<ReturnType<typeof unpackLayers>> = [];
    const lines = await captureLog(async () => {
      results = await unpackLayers(bootConfig({ layers, retries: 1, timeout: 5 }), null, root, join(scratch.dir, "no-keys"));
    });
    expect(results.map((r) => r.entries)).toEqual([expect.any(Number), expect.any(Number)]);
    expect(requests).toEqual(layers.map((l) => new URL(l.urls[0]).pathname));
    expect(lines).toContainEqual(expect.stringMatching(/^layer 2\/2 .*: \d+ entries unpacked, 2 removed by whiteouts, sha256 verified$/));
    expect(compareDirs(join(scratch.dir, "bundle/rootfs"), root, { ignore: (rel, field) => rel === "" && field === "mtime" })).toEqual([]);
    expect(existsSync(join(root, "etc/motd"))).toBe(false);
    expect(existsSync(join(root, "var/cache/apt/pkgcache.bin"))).toBe(false);
    expect(readFileSync(join(root, "etc/hostname"), "utf8")).toBe("node\n");
  });

  it("says what is wrong with a reference or a layout", () => {
    expect(splitReference("/srv/www/debian:bookworm")).toEqual({ layout: "/srv/www/debian", tag: "bookworm" });
    expect(splitReference("./img")).toEqual({ layout: "./img" });
    expect(splitReference("/srv/a:b/img")).toEqual({ layout: "/srv/a:b/img" });
    expect(() => readLayout(layout, "trixie", "amd64")).toThrow("no image tagged trixie in the layout; it has bookworm");
    expect(() => readLayout(join(scratch.dir, "www"), undefined, "amd64")).toThrow(/is not an OCI image layout \(no oci-layout file\)/);
    const d = (digest: string, extra: object = {}) => ({ digest, size: 1, ...extra });
    const hex = "a".repeat(64);
    expect(() => selectManifest({ manifests: [d(`sha256:${hex}`), d(`sha256:${"b".repeat(64)}`)] }, () => ({}), undefined, "amd64")).toThrow(/holds 2 images .*name one as LAYOUT:TAG/);
    // A multi-platform index: the variant asked for, else the platforms there are.
    const index = { manifests: [d(`sha256:${hex}`, { mediaType: "application/vnd.oci.image.index.v1+json", annotations: { "org.opencontainers.image.ref.name": "multi" } })] };
    const platforms = {
      manifests: [
        d(`sha256:${"1".repeat(64)}`, { mediaType: "application/vnd.oci.image.manifest.v1+json", platform: { os: "linux", architecture: "amd64" } }),
        d(`sha256:${"2".repeat(64)}`, { mediaType: "application/vnd.oci.image.manifest.v1+json", platform: { os: "linux", architecture: "arm64" } }),
      ],
    };
    expect(selectManifest(index, () => platforms, "multi", "arm64").digest).toBe(`sha256:${"2".repeat(64)}`);
    expect(() => selectManifest(index, () => platforms, "multi", "riscv64")).toThrow("the image has no linux/riscv64 variant (it has linux/amd64, linux/arm64); choose one with --arch");
    expect(() => manifestLayers({ layers: [d(`sha256:${hex}`, { mediaType: "application/vnd.cncf.helm.chart.content.v1.tar+gzip" })] })).toThrow(
      "layer 1 is application/vnd.cncf.helm.chart.content.v1.tar+gzip, not a tar layer tarboot can unpack",
    );
    expect(() => manifestLayers({ layers: [d(`sha512:${hex}`, { mediaType: "application/vnd.oci.image.layer.v1.tar" })] })).toThrow(/only sha256 digests can be checked/);
    expect(() => manifestLayers({ layers: [] })).toThrow("the image manifest lists no layers");
  });

  it("fails, naming the layer, when a blob is missing from the layout", () => {
    const [first] = readLayout(layout, "bookworm", "amd64");
    const blob = join(layout, "blobs/sha256", first.sha256);
    const saved = readFileSync(blob);
    execFileSync("rm", [blob]);
    const err: string[] = [];
    const spy = vi.spyOn(process.stderr, "write").mockImplementation((s) => (err.push(String(s)), true));
    try {
      expect(ociRootCommand([`${layout}:bookworm`, base])).toBe(1);
    } finally {
      spy.mockRestore();
      writeFileSync(blob, saved);
    }
    expect(err.join("")).toBe(`tarboot oci-root: ${layout}:bookworm: layer 1 (sha256:${first.sha256}) is not in the layout: ${blob} is missing\n`);
  });
});
