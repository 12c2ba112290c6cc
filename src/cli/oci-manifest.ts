// What an OCI (or Docker v2) image is made of, read the same way from an image layout on disk and
// from a registry: an index or a tagged manifest, through a multi-platform index to one platform,
// down to the layer descriptors tarboot can unpack and check by digest.

export const MANIFEST_TYPES = [
  "application/vnd.oci.image.index.v1+json",
  "application/vnd.oci.image.manifest.v1+json",
  "application/vnd.docker.distribution.manifest.list.v2+json",
  "application/vnd.docker.distribution.manifest.v2+json",
];
const INDEXES = new Set([MANIFEST_TYPES[0], MANIFEST_TYPES[2]]);
const LAYER_TYPES = new Set([
  "application/vnd.oci.image.layer.v1.tar",
  "application/vnd.oci.image.layer.v1.tar+gzip",
  "application/vnd.oci.image.layer.v1.tar+zstd",
  "application/vnd.docker.image.rootfs.diff.tar.gzip",
  // Non-distributable layers are the same tarballs, where the layout or registry has them.
  "application/vnd.oci.image.layer.nondistributable.v1.tar",
  "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
  "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd",
  "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
]);

export interface Descriptor {
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

/** An index or manifest as JSON; `mediaType` from the document or, for a registry, its Content-Type. */
export interface ManifestDoc {
  mediaType?: string;
  manifests?: Descriptor[];
  layers?: Descriptor[];
}

/** Reads the index or manifest a descriptor points at. */
export type ManifestReader = (d: Descriptor) => Promise<ManifestDoc>;

/** The hex of a sha256 digest; other algorithms are refused, since a node checks layers with #sha256=. */
export function sha256Of(digest: string | undefined, what: string): string {
  const m = /^sha256:([0-9a-f]{64})$/.exec(digest ?? "");
  if (!m) throw new Error(`${what} has digest ${JSON.stringify(digest)}; only sha256 digests can be checked by a node (#sha256=)`);
  return m[1];
}

/** From an index or manifest down to the image manifest for linux/`arch`, through nested indexes. */
export async function platformManifest(doc: ManifestDoc, read: ManifestReader, arch: string): Promise<ManifestDoc> {
  let current = doc;
  for (let depth = 0; INDEXES.has(current.mediaType ?? "") || (current.manifests && !current.layers); depth++) {
    if (depth > 4) throw new Error("image indexes nested too deep");
    const nested = current.manifests ?? [];
    const match = nested.find((d) => d.platform?.os === "linux" && d.platform.architecture === arch);
    if (!match) {
      const platforms = nested.map((d) => `${d.platform?.os ?? "?"}/${d.platform?.architecture ?? "?"}`).join(", ");
      throw new Error(`the image has no linux/${arch} variant (it has ${platforms || "none"}); choose one with --arch`);
    }
    current = await read(match);
  }
  return current;
}

/** The layers of an image manifest, bottom first. */
export function manifestLayers(manifest: ManifestDoc): OciLayer[] {
  const layers = manifest.layers ?? [];
  if (layers.length === 0) throw new Error("the image manifest lists no layers");
  return layers.map((d, i) => {
    const mediaType = d.mediaType ?? "";
    if (!LAYER_TYPES.has(mediaType)) throw new Error(`layer ${i + 1} is ${mediaType || "of no media type"}, not a tar layer tarboot can unpack`);
    return { digest: d.digest, sha256: sha256Of(d.digest, `layer ${i + 1}`), size: d.size, mediaType };
  });
}
