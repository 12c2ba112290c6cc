// `tarboot oci-root LAYOUT[:TAG] URL`: boot a container image. An OCI image layout (what
// `skopeo copy docker://IMAGE oci:DIR:TAG` or `umoci` write) is a folder of blobs a plain web server
// can serve as it is; its layers are tarballs that tarboot unpacks in order, their whiteouts
// applied. This prints the root= that names them under URL, each with its digest as #sha256=, so
// a node checks every layer it boots against the image's own manifest.
import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { describeError } from "../console/errors";

const USAGE = `usage: tarboot oci-root [--arch ARCH] LAYOUT[:TAG] URL

Prints the root= kernel parameter that boots the image in the OCI image layout LAYOUT (a folder
with oci-layout, index.json and blobs/) once LAYOUT is served over HTTP at URL: one layer per
image layer, URL/blobs/sha256/DIGEST, each checked against its digest (#sha256=).

  TAG            the image's name in the layout (org.opencontainers.image.ref.name); may be left
                 out when the layout holds one image
  --arch ARCH    the platform of a multi-platform image (linux/ARCH), default amd64

e.g.  skopeo copy docker://debian:bookworm oci:/srv/www/debian:bookworm
      tarboot oci-root /srv/www/debian:bookworm http://boot.example/debian
`;

const INDEX = "application/vnd.oci.image.index.v1+json";
const DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json";
const LAYER_TYPES = new Set([
  "application/vnd.oci.image.layer.v1.tar",
  "application/vnd.oci.image.layer.v1.tar+gzip",
  "application/vnd.oci.image.layer.v1.tar+zstd",
  "application/vnd.docker.image.rootfs.diff.tar.gzip",
  // Non-distributable layers are the same tarballs, when the layout has them.
  "application/vnd.oci.image.layer.nondistributable.v1.tar",
  "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
  "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd",
  "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
]);
/** x86's COMMAND_LINE_SIZE is 2048 bytes for the whole kernel command line. */
const LONG_ROOT = 1536;

interface Descriptor {
  mediaType?: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
  platform?: { os?: string; architecture?: string; variant?: string };
}

export interface OciLayer {
  digest: string;
  /** Hex of the sha256 digest. */
  sha256: string;
  size: number;
  mediaType: string;
}

/** Reads one JSON blob of the layout, by descriptor. */
export type BlobReader = (d: Descriptor) => unknown;

/** `LAYOUT[:TAG]`: a colon after the last slash starts the tag, as in skopeo's oci: references. */
export function splitReference(ref: string): { layout: string; tag?: string } {
  const colon = ref.lastIndexOf(":");
  if (colon > ref.lastIndexOf("/") && colon > 0) return { layout: ref.slice(0, colon), tag: ref.slice(colon + 1) };
  return { layout: ref };
}

function sha256Of(d: Descriptor, what: string): string {
  const m = /^sha256:([0-9a-f]{64})$/.exec(d.digest ?? "");
  if (!m) throw new Error(`${what} has digest ${JSON.stringify(d.digest)}; only sha256 digests can be checked by a node (#sha256=)`);
  return m[1];
}

/** The image manifest's descriptor: by tag, else the only one; through a multi-platform index to linux/arch. */
export function selectManifest(index: { manifests?: Descriptor[] }, read: BlobReader, tag: string | undefined, arch: string): Descriptor {
  const all = index.manifests ?? [];
  const named = (d: Descriptor) => d.annotations?.["org.opencontainers.image.ref.name"];
  let chosen: Descriptor;
  if (tag !== undefined) {
    const found = all.find((d) => named(d) === tag);
    if (!found) throw new Error(`no image tagged ${tag} in the layout; it has ${all.map(named).filter(Boolean).join(", ") || "no tagged image"}`);
    chosen = found;
  } else {
    if (all.length !== 1) throw new Error(`the layout holds ${all.length} images (${all.map((d) => named(d) ?? d.digest).join(", ")}): name one as LAYOUT:TAG`);
    chosen = all[0];
  }
  for (let depth = 0; chosen.mediaType === INDEX || chosen.mediaType === DOCKER_LIST; depth++) {
    if (depth > 4) throw new Error("image indexes nested too deep");
    const nested: Descriptor[] = (read(chosen) as { manifests?: Descriptor[] }).manifests ?? [];
    const match = nested.find((d) => d.platform?.os === "linux" && d.platform.architecture === arch);
    if (!match) {
      const platforms = nested.map((d) => `${d.platform?.os ?? "?"}/${d.platform?.architecture ?? "?"}`).join(", ");
      throw new Error(`the image has no linux/${arch} variant (it has ${platforms || "none"}); choose one with --arch`);
    }
    chosen = match;
  }
  return chosen;
}

/** The layers of an image manifest, bottom first. */
export function manifestLayers(manifest: { layers?: Descriptor[] }): OciLayer[] {
  const layers = manifest.layers ?? [];
  if (layers.length === 0) throw new Error("the image manifest lists no layers");
  return layers.map((d, i) => {
    const mediaType = d.mediaType ?? "";
    if (!LAYER_TYPES.has(mediaType)) throw new Error(`layer ${i + 1} is ${mediaType || "of no media type"}, not a tar layer tarboot can unpack`);
    return { digest: d.digest, sha256: sha256Of(d, `layer ${i + 1}`), size: d.size, mediaType };
  });
}

/** root= naming each layer's blob under `baseUrl` with its digest. */
export function rootParameter(baseUrl: string, layers: OciLayer[]): string {
  const base = baseUrl.replace(/\/+$/, "");
  return `root=${layers.map((l) => `${base}/blobs/sha256/${l.sha256}#sha256=${l.sha256}`).join(",")}`;
}

/** Reads the layout at `dir` and returns its image's layers, checking each blob is there at its size. */
export function readLayout(dir: string, tag: string | undefined, arch: string): OciLayer[] {
  const layoutFile = join(dir, "oci-layout");
  if (!existsSync(layoutFile)) throw new Error(`${dir} is not an OCI image layout (no oci-layout file)`);
  const blob = (d: Descriptor) => join(dir, "blobs", "sha256", sha256Of(d, "a descriptor"));
  const json = (path: string) => {
    try {
      return JSON.parse(readFileSync(path, "utf8"));
    } catch (err) {
      throw new Error(`${path}: ${(err as Error).message}`, { cause: err });
    }
  };
  const manifest = selectManifest(json(join(dir, "index.json")), (d) => json(blob(d)), tag, arch);
  const layers = manifestLayers(json(blob(manifest)));
  for (const [i, l] of layers.entries()) {
    const path = blob(l);
    if (!existsSync(path)) throw new Error(`layer ${i + 1} (${l.digest}) is not in the layout: ${path} is missing`);
    const size = statSync(path).size;
    if (size !== l.size) throw new Error(`layer ${i + 1}: ${path} has ${size} bytes, the manifest says ${l.size}`);
  }
  return layers;
}

export function ociRootCommand(argv: string[]): number {
  let values: { arch?: string; help?: boolean };
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({ args: argv, options: { arch: { type: "string" }, help: { type: "boolean", short: "h" } }, allowPositionals: true }));
  } catch (err) {
    process.stderr.write(`tarboot oci-root: ${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (positionals.length !== 2) {
    process.stderr.write(USAGE);
    return 2;
  }
  const [ref, url] = positionals;
  if (!/^https?:\/\/[^/]/.test(url)) {
    process.stderr.write(`tarboot oci-root: ${url}: the URL the layout is served at, http:// or https://\n`);
    return 2;
  }
  const { layout, tag } = splitReference(ref);
  try {
    const layers = readLayout(layout, tag, values.arch ?? "amd64");
    const root = rootParameter(url, layers);
    process.stdout.write(`${root}\n`);
    if (root.length > LONG_ROOT) {
      process.stderr.write(
        `tarboot oci-root: note: root= is ${root.length} characters for ${layers.length} layers, and the whole kernel command line holds 2048 on x86: ` +
          "squash the image into fewer layers\n",
      );
    }
    return 0;
  } catch (err) {
    process.stderr.write(`tarboot oci-root: ${layout}${tag ? `:${tag}` : ""}: ${describeError(err)}\n`);
    return 1;
  }
}
