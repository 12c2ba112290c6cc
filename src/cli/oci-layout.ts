// An OCI image layout on disk (oci-layout, index.json, blobs/sha256/...), as `skopeo copy ... oci:DIR`
// and umoci write it: a folder any web server can serve to nodes as it is.
import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { type Descriptor, type ManifestDoc, manifestLayers, type OciLayer, platformManifest, sha256Of } from "./oci-manifest";

const REF_NAME = "org.opencontainers.image.ref.name";

/** `LAYOUT[:TAG]`: a colon after the last slash starts the tag, as in skopeo's oci: references. */
export function splitReference(ref: string): { layout: string; tag?: string } {
  const colon = ref.lastIndexOf(":");
  if (colon > ref.lastIndexOf("/") && colon > 0) return { layout: ref.slice(0, colon), tag: ref.slice(colon + 1) };
  return { layout: ref };
}

/** The index entry for `tag`, or the only one when no tag is given. */
export function taggedManifest(index: ManifestDoc, tag: string | undefined): Descriptor {
  const all = index.manifests ?? [];
  const named = (d: Descriptor) => d.annotations?.[REF_NAME];
  if (tag !== undefined) {
    const found = all.find((d) => named(d) === tag);
    if (!found) throw new Error(`no image tagged ${tag} in the layout; it has ${all.map(named).filter(Boolean).join(", ") || "no tagged image"}`);
    return found;
  }
  if (all.length !== 1) throw new Error(`the layout holds ${all.length} images (${all.map((d) => named(d) ?? d.digest).join(", ")}): name one as LAYOUT:TAG`);
  return all[0];
}

/** Reads the layout at `dir` and returns its image's layers, checking each blob is there at its size. */
export async function readLayout(dir: string, tag: string | undefined, arch: string): Promise<OciLayer[]> {
  if (!existsSync(join(dir, "oci-layout"))) throw new Error(`${dir} is not an OCI image layout (no oci-layout file)`);
  const blob = (digest: string) => join(dir, "blobs", "sha256", sha256Of(digest, "a descriptor"));
  const json = (path: string): ManifestDoc => {
    try {
      return JSON.parse(readFileSync(path, "utf8"));
    } catch (err) {
      throw new Error(`${path}: ${(err as Error).message}`, { cause: err });
    }
  };
  const read = async (d: Descriptor): Promise<ManifestDoc> => ({ mediaType: d.mediaType, ...json(blob(d.digest)) });
  const manifest = await platformManifest(await read(taggedManifest(json(join(dir, "index.json")), tag)), read, arch);
  const layers = manifestLayers(manifest);
  for (const [i, l] of layers.entries()) {
    const path = blob(l.digest);
    if (!existsSync(path)) throw new Error(`layer ${i + 1} (${l.digest}) is not in the layout: ${path} is missing`);
    const size = statSync(path).size;
    if (size !== l.size) throw new Error(`layer ${i + 1}: ${path} has ${size} bytes, the manifest says ${l.size}`);
  }
  return layers;
}

/** Where a layout's layer is once the layout is served at `base`. */
export function layoutBlobPath(layer: OciLayer): string {
  return `blobs/sha256/${layer.sha256}`;
}
