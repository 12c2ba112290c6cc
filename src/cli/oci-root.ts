// `tarboot oci-root`: boot a container image. Its layers are tarballs tarboot unpacks in order, their
// whiteouts applied; this prints the kernel parameters that name them, each with its digest as
// #sha256=, so a node checks every layer it boots against the image's own manifest. The image is
// read from an OCI image layout that a web server serves as it is, or from a registry the nodes
// download the blobs from directly.
import { parseArgs } from "node:util";
import { describeError } from "../console/errors";
import { layoutBlobPath, readLayout, splitReference } from "./oci-layout";
import type { OciLayer } from "./oci-manifest";
import { parseRegistryRef, readRegistry, registryBlobUrl } from "./oci-registry";

const USAGE = `usage: tarboot oci-root [--arch ARCH] LAYOUT[:TAG] URL[,URL...]
       tarboot oci-root [--arch ARCH] http(s)://REGISTRY[:PORT]/NAME[:TAG|@DIGEST]

Prints the kernel parameters that boot a container image: one root layer per image layer, each
checked against its digest (#sha256=).

  LAYOUT[:TAG] URL   an OCI image layout (a folder with oci-layout, index.json and blobs/) that
                     a web server serves at URL; the TAG may be left out when it holds one image.
                     Several URLs (mirrors serving the same folder) give tarboot.mirrors= and
                     relative layer names, so a node fails over between them.
  REGISTRY/NAME:TAG  a registry the nodes can download from without a token (Distribution's
                     registry, with no auth or with http://user:password@ for Basic auth)
  --arch ARCH        the platform of a multi-platform image (linux/ARCH), default amd64

e.g.  skopeo copy docker://debian:bookworm oci:/srv/www/debian:bookworm
      tarboot oci-root /srv/www/debian:bookworm http://boot.example/debian
      tarboot oci-root http://registry.example:5000/hpc/node:2026.12
`;

/** x86's COMMAND_LINE_SIZE is 2048 bytes for the whole kernel command line. */
const LONG_PARAMS = 1536;

/** The parameters naming `layers` at absolute URLs (`urlOf`), or relative to mirrors. */
export function rootParameters(layers: OciLayer[], where: { urlOf: (l: OciLayer) => string } | { mirrors: string[]; pathOf: (l: OciLayer) => string }): string {
  if ("urlOf" in where) return `root=${layers.map((l) => `${where.urlOf(l)}#sha256=${l.sha256}`).join(",")}`;
  const mirrors = where.mirrors.map((m) => `${m.replace(/\/+$/, "")}/`).join(",");
  return `tarboot.mirrors=${mirrors} root=${layers.map((l) => `${where.pathOf(l)}#sha256=${l.sha256}`).join(",")}`;
}

async function parameters(source: string, urls: string | undefined, arch: string): Promise<{ params: string; layers: number }> {
  if (/^https?:\/\//.test(source)) {
    if (urls !== undefined) throw new Error("a registry's blobs are downloaded from the registry itself: give no URL after it");
    const ref = parseRegistryRef(source);
    const layers = await readRegistry(ref, arch);
    return { params: rootParameters(layers, { urlOf: (l) => registryBlobUrl(ref, l) }), layers: layers.length };
  }
  if (urls === undefined) throw new Error("give the URL the layout is served at (http://host/path)");
  const list = urls.split(",");
  for (const u of list) if (!/^https?:\/\/[^/]/.test(u)) throw new Error(`${u}: the URL the layout is served at, http:// or https://`);
  const { layout, tag } = splitReference(source);
  const layers = await readLayout(layout, tag, arch);
  const params =
    list.length === 1
      ? rootParameters(layers, { urlOf: (l) => `${list[0].replace(/\/+$/, "")}/${layoutBlobPath(l)}` })
      : rootParameters(layers, { mirrors: list, pathOf: layoutBlobPath });
  return { params, layers: layers.length };
}

export async function ociRootCommand(argv: string[]): Promise<number> {
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
  if (positionals.length < 1 || positionals.length > 2) {
    process.stderr.write(USAGE);
    return 2;
  }
  const [source, urls] = positionals;
  try {
    const { params, layers } = await parameters(source, urls, values.arch ?? "amd64");
    process.stdout.write(`${params}\n`);
    if (params.length > LONG_PARAMS) {
      process.stderr.write(
        `tarboot oci-root: note: these parameters are ${params.length} characters for ${layers} layers, and the whole kernel command line holds 2048 on x86: squash the image into fewer layers\n`,
      );
    }
    return 0;
  } catch (err) {
    process.stderr.write(`tarboot oci-root: ${source}: ${describeError(err)}\n`);
    return 1;
  }
}
