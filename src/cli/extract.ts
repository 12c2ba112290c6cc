// `tarboot extract SOURCE DIR`: the init's own layer pipeline on a host, for testing a tarball
// before booting it and for benchmarking against GNU tar. SOURCE is a file, "-" or an http(s) URL.
import { createReadStream } from "node:fs";
import { parseArgs } from "node:util";
import { describeError } from "../console/errors";
import { configureLog } from "../console/log";
import { hideCredentials } from "../console/redact";
import { formatBytes, formatRate } from "../console/units";
import type { FetchOptions } from "../fetch";
import { type ExtractStats, extract } from "../unpack";
import { whiteoutNote } from "../unpack/whiteout";

const USAGE = `usage: tarboot extract [options] SOURCE DIR

SOURCE is a tarball file, - for standard input, or an http(s) URL (alternatives separated by |).
Compression (gzip, zstd, xz, bzip2, none) is detected from the bytes.

options:
  --sha256 HEX      expected sha256 of the downloaded bytes (URLs only)
  --key FILE        an Ed25519 public key (PEM), as mkinitramfs --key: the layer must match its
                    signed URL.manifest, checked chunk by chunk as the init does (URLs only;
                    repeatable)
  --retries N       attempts per URL (default 8)
  --timeout S       seconds without progress (under 16 KiB) before an attempt fails (default 30)
  --ca FILE         extra CA bundle for https
  --proxy URL       an HTTP proxy, http://[user:password@]host:port (as tarboot.proxy=)
  --no-proxy LIST   hosts, .domains and addresses reached without it (as tarboot.no-proxy=)
  --quiet           no progress or summary
`;

function parseOption<T>(option: string, value: string, parse: (v: string) => T): T {
  try {
    return parse(value);
  } catch (err) {
    throw new Error(`${option} ${value}: ${(err as Error).message}`, { cause: err });
  }
}

export function isUrl(source: string): boolean {
  return /^https?:\/\//i.test(source);
}

export async function extractCli(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        sha256: { type: "string" },
        key: { type: "string", multiple: true, default: [] },
        retries: { type: "string", default: "8" },
        timeout: { type: "string", default: "30" },
        ca: { type: "string" },
        proxy: { type: "string" },
        "no-proxy": { type: "string" },
        quiet: { type: "boolean", default: false },
        help: { type: "boolean", short: "h", default: false },
      },
    });
  } catch (err) {
    process.stderr.write(`tarboot extract: ${describeError(err)}\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (positionals.length !== 2) {
    process.stderr.write(`tarboot extract: need SOURCE and DIR\n${USAGE}`);
    return 2;
  }
  const [source, dir] = positionals;
  const retries = Number(values.retries);
  const timeout = Number(values.timeout);
  if (!Number.isInteger(retries) || retries < 1 || !(timeout > 0)) {
    process.stderr.write(`tarboot extract: --retries must be a whole number ≥ 1 and --timeout a number of seconds > 0\n`);
    return 2;
  }
  configureLog({ quiet: values.quiet, prefix: "tarboot: " });
  const started = performance.now();
  try {
    let stats: ExtractStats;
    let downloaded: number | undefined;
    if (isUrl(source)) {
      // Loaded only for URLs: a file needs none of the network code.
      const { fetchLayer, loadManifest } = await import("../fetch");
      const { keyOption } = await import("../fetch/trusted-keys");
      const keys = values.key.map((f) => keyOption(f).key);
      const urls = source.split("|");
      const { parseProxyUrl } = await import("../fetch/proxy");
      const { parseNoProxy } = await import("../cmdline/values");
      const proxy = values.proxy === undefined ? undefined : parseOption("--proxy", values.proxy, parseProxyUrl);
      const noProxy = values["no-proxy"] === undefined ? [] : parseOption("--no-proxy", values["no-proxy"], parseNoProxy);
      const opts: FetchOptions = { label: "extract", retries, timeoutMs: timeout * 1000, sha256: values.sha256?.toLowerCase(), caFile: values.ca, progress: !values.quiet, proxy, noProxy };
      if (keys.length > 0) opts.manifest = await loadManifest(urls, opts, keys);
      const r = await fetchLayer(urls, opts, (body, src) => extract(body, dir, { label: `extract ${src.url}`, noSpaceHint: "the target is full" }));
      stats = r.result;
      downloaded = r.bytes;
      if (opts.manifest && !values.quiet) say(`${r.url}: every chunk matched the manifest signed by ${opts.manifest.keyId}`);
    } else {
      if (values.sha256) throw new Error("--sha256 is checked for URLs only; use sha256sum for a local file");
      if (values.key.length > 0) throw new Error("--key is checked for URLs only: the manifest is fetched from URL.manifest");
      if (values.proxy !== undefined) throw new Error("--proxy is for URLs only");
      const input = source === "-" ? process.stdin : createReadStream(source, { highWaterMark: 1 << 20 });
      stats = await extract(input, dir, { label: `extract ${source}`, noSpaceHint: "the target is full" });
    }
    const seconds = (performance.now() - started) / 1000;
    if (!values.quiet) {
      const input = downloaded ?? stats.inputBytes;
      say(
        `${source}: ${stats.entries} entries${whiteoutNote(stats.whiteouts)}, ${formatBytes(stats.bytes)} written from ${formatBytes(input)} ${stats.compression} ` +
          `in ${seconds.toFixed(2)}s (${formatRate(stats.tarBytes / Math.max(seconds, 1e-6))})`,
      );
      for (const w of stats.warnings) say(`warning: ${w}`);
    }
    return 0;
  } catch (err) {
    say(describeError(err));
    return 1;
  }
}

/** A result line on stderr; a URL's password never shows (the console's own lines hide it too). */
function say(text: string): void {
  process.stderr.write(`tarboot: ${hideCredentials(text)}\n`);
}
