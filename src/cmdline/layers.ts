// `root=` layers and `tarboot.mirrors=`.
//
//   root=LAYER[,LAYER...]      layers, unpacked in order into the same root
//   LAYER = ALT[|ALT...][#sha256=HEX]
//   ALT   = http(s)://URL, or a NAME relative to each of tarboot.mirrors= in turn
//
// `#sha256=` is written once, after the last alternative, and covers the whole layer: every
// alternative must serve the same bytes, so a checksum per alternative would only invite mismatch.
// A literal `,` `|` or `#` inside a URL is written %2C, %7C, %23.
import { Invalid } from "./errors";
import { expandTemplate, templateProblems } from "./template";
import type { Layer, TemplateVars } from "./types";

const SCHEME = /^([A-Za-z][A-Za-z0-9+.-]*):/;
/** Characters that never belong in a URL on a command line; WHATWG parsing would silently drop or escape them. */
const BAD_CHARS = /[\s"<>\\^`\x00-\x1f\x7f]/;
const SHA256 = /^[0-9a-fA-F]{64}$/;

/** Stand-ins for checking that a URL will still be a URL once its templates are expanded: one for every name. */
const SAMPLE_VARS: Required<TemplateVars> = {
  hostname: "node",
  fqdn: "node.example",
  mac: "aa-bb-cc-dd-ee-ff",
  ip: "192.0.2.1",
  arch: "amd64",
  kernel: "6.1.0-41-amd64",
  uuid: "4c4c4544-0035-3010-8030-b4c04f4e3732",
};

/** Whether `root=` names a URL (any scheme): then it is meant for tarboot, and anything but http(s) is an error. */
export function looksLikeUrl(text: string): boolean {
  return /^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(text);
}

/** Problems with one absolute URL (templates allowed); empty when it is a usable http(s) URL. */
function urlProblems(url: string): string[] {
  const scheme = SCHEME.exec(url)?.[1].toLowerCase();
  if (scheme !== "http" && scheme !== "https") return ["not an http:// or https:// URL"];
  if (!/^[A-Za-z]+:\/\/[^/?#]/.test(url)) return ["no host after the scheme"];
  if (BAD_CHARS.test(url)) return ["contains a space, quote, backslash or control character"];
  const problems = templateProblems(url);
  if (problems.length) return problems;
  try {
    const parsed = new URL(expandTemplate(url, SAMPLE_VARS, "check"));
    if (parsed.hostname === "") return ["no host"];
  } catch {
    return ["not a valid URL"];
  }
  return [];
}

/** `tarboot.mirrors=`: comma-separated http(s) base URLs; each gets a trailing '/' if it lacks one. */
export function parseMirrors(value: string | undefined): string[] {
  if (value === undefined) throw new Invalid("needs a value");
  if (value === "") return [];
  const problems: string[] = [];
  const mirrors = value.split(",").map((raw, k) => {
    const label = `mirror ${k + 1}`;
    if (raw === "") {
      problems.push(`${label} is empty (a doubled or trailing comma?)`);
      return raw;
    }
    const found = urlProblems(raw);
    if (/[?#]/.test(raw)) found.push("a base URL cannot have a ?query or #fragment: names are appended to it");
    for (const p of found) problems.push(`${label} ${JSON.stringify(raw)}: ${p}`);
    return raw.endsWith("/") ? raw : `${raw}/`;
  });
  if (problems.length) throw new Invalid(...problems);
  return mirrors;
}

function nameProblems(name: string, mirrors: readonly string[]): string[] {
  if (mirrors.length === 0) return ["a name without http:// or https://, but no tarboot.mirrors= to fetch it from"];
  if (name.startsWith("/")) return ["a relative name must not start with '/' (it is appended to each mirror)"];
  if (BAD_CHARS.test(name)) return ["contains a space, quote, backslash or control character"];
  const problems = templateProblems(name);
  if (problems.length) return problems;
  return urlProblems(mirrors[0] + name);
}

function parseLayer(raw: string, index: number, mirrors: readonly string[], problems: string[]): Layer {
  const label = `layer ${index}`;
  const report = (text: string, p: string) => problems.push(`${label} ${JSON.stringify(text)}: ${p}`);
  if (raw === "") {
    problems.push(`${label} is empty (a doubled or trailing comma?)`);
    return { index, raw, urls: [] };
  }
  const alts = raw.split("|");
  let sha256: string | undefined;
  let optional = false;
  const urls: string[] = [];
  alts.forEach((written, j) => {
    const [alt, ...marks] = written.split("#");
    if (marks.length > 0 && j < alts.length - 1) {
      report(written, "#sha256= and #optional go once at the end of the layer, after the last alternative");
    } else {
      for (const mark of marks) {
        if (mark === "optional") {
          if (optional) report(written, "#optional is written twice");
          optional = true;
        } else if (mark.startsWith("sha256=")) {
          const hex = mark.slice("sha256=".length);
          if (sha256 !== undefined) report(written, "#sha256= is written twice");
          else if (SHA256.test(hex)) sha256 = hex.toLowerCase();
          else report(written, `bad sha256 "${hex}": needs exactly 64 hex digits`);
        } else {
          report(written, `unknown #${mark}; after # come sha256=<64 hex digits> and optional`);
        }
      }
    }
    if (alt === "") {
      report(raw, alts.length > 1 ? `alternative ${j + 1} is empty` : "no URL");
      return;
    }
    if (SCHEME.test(alt)) {
      const found = urlProblems(alt);
      for (const p of found) report(alt, p);
      if (!found.length) urls.push(alt);
    } else {
      const found = nameProblems(alt, mirrors);
      for (const p of found) report(alt, p);
      if (!found.length) urls.push(...mirrors.map((m) => m + alt));
    }
  });
  const layer: Layer = { index, raw, urls: [...new Set(urls)] };
  if (sha256 !== undefined) layer.sha256 = sha256;
  if (optional) layer.optional = true;
  return layer;
}

/** Parses the value of `root=` into layers; throws Invalid with every problem in every layer. */
export function parseLayers(value: string, mirrors: readonly string[]): Layer[] {
  const problems: string[] = [];
  const layers = value.split(",").map((raw, k) => parseLayer(raw, k + 1, mirrors, problems));
  if (problems.length) throw new Invalid(...problems);
  return layers;
}
