// A plain container registry (the Distribution API: /v2/NAME/manifests/REF, /v2/NAME/blobs/DIGEST),
// as a site runs one (Distribution's registry, Debian's docker-registry) without token auth: its
// blob URLs are what nodes download, so no copy of the image is needed. Registries that hand out
// Bearer tokens (Docker Hub, most public ones) need a token per pull, which a node has no way to
// get: for those, copy the image into a layout (`skopeo copy docker://... oci:DIR`).
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import { basicAuthorization } from "../fetch/basic-auth";
import { type Descriptor, MANIFEST_TYPES, type ManifestDoc, manifestLayers, type OciLayer, platformManifest } from "./oci-manifest";

export interface RegistryRef {
  /** scheme://[user:password@]host[:port], no trailing slash. */
  base: string;
  /** The repository, e.g. hpc/node. */
  name: string;
  /** A tag or a digest (sha256:...). */
  reference: string;
}

/** `http(s)://HOST[:PORT]/NAME[:TAG|@DIGEST]`, the tag `latest` when none is given (as docker pull). */
export function parseRegistryRef(text: string): RegistryRef {
  const m = /^(https?:\/\/[^/]+)\/(.+)$/.exec(text);
  if (!m) throw new Error(`${text}: not a registry reference (http(s)://HOST[:PORT]/NAME[:TAG])`);
  const [, base, path] = m;
  const at = path.indexOf("@");
  let name: string;
  let reference: string;
  if (at >= 0) {
    name = path.slice(0, at);
    reference = path.slice(at + 1);
  } else {
    const colon = path.lastIndexOf(":");
    const tagged = colon > path.lastIndexOf("/");
    name = tagged ? path.slice(0, colon) : path;
    reference = tagged ? path.slice(colon + 1) : "latest";
  }
  if (!/^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/.test(name)) {
    throw new Error(`${text}: "${name}" is not a repository name (lower-case components separated by /)`);
  }
  return { base, name, reference };
}

/** Where a registry's layer is: its blob URL. */
export function registryBlobUrl(ref: RegistryRef, layer: OciLayer): string {
  return `${ref.base}/v2/${ref.name}/blobs/${layer.digest}`;
}

/** GETs a manifest; `mediaType` from the document or the response's Content-Type. */
function getManifest(ref: RegistryRef, reference: string, timeoutMs: number): Promise<ManifestDoc> {
  const url = new URL(`${ref.base}/v2/${ref.name}/manifests/${reference}`);
  const auth = url.username ? { Authorization: basicAuthorization(url) } : {};
  const shown = `${url.protocol}//${url.host}${url.pathname}`;
  return new Promise((resolve, reject) => {
    const req = (url.protocol === "https:" ? httpsRequest : httpRequest)(
      url,
      { headers: { Accept: MANIFEST_TYPES.join(", "), ...auth }, timeout: timeoutMs },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          const body = Buffer.concat(chunks).toString("utf8");
          if (res.statusCode === 401) {
            const scheme = (res.headers["www-authenticate"] ?? "").split(" ")[0];
            return reject(
              new Error(
                scheme.toLowerCase() === "bearer"
                  ? `${shown}: the registry hands out Bearer tokens, which a node cannot get: copy the image into an OCI layout (skopeo copy docker://... oci:DIR) and serve that`
                  : `${shown}: HTTP 401: the registry wants credentials (http://user:password@host/...)`,
              ),
            );
          }
          if (res.statusCode !== 200) return reject(new Error(`${shown}: HTTP ${res.statusCode} ${res.statusMessage ?? ""}`.trim()));
          try {
            const doc = JSON.parse(body) as ManifestDoc;
            resolve({ ...doc, mediaType: doc.mediaType ?? res.headers["content-type"]?.split(";")[0] });
          } catch (err) {
            reject(new Error(`${shown}: not a manifest: ${(err as Error).message}`));
          }
        });
        res.on("error", reject);
      },
    );
    req.on("timeout", () => req.destroy(new Error(`${shown}: no answer in ${timeoutMs / 1000}s`)));
    req.on("error", (err) => reject(err.message.startsWith(shown) ? err : new Error(`${shown}: ${err.message}`)));
    req.end();
  });
}

/** The layers of the image `ref` names, for linux/`arch`. */
export async function readRegistry(ref: RegistryRef, arch: string, timeoutMs = 15_000): Promise<OciLayer[]> {
  const read = (d: Descriptor) => getManifest(ref, d.digest, timeoutMs);
  return manifestLayers(await platformManifest(await getManifest(ref, ref.reference, timeoutMs), read, arch));
}
