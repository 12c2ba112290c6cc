// The mount stage's work: every layer fetched and unpacked, in order, into the new root. When the
// initramfs trusts manifest keys, every layer must come with a manifest signed by one of them, and
// no byte of a layer reaches the decompressor before its chunk matched (src/fetch/MANIFEST.md).
import type { BootConfig } from "../cmdline/types";
import { expandTemplate } from "../cmdline";
import { type FetchOptions, FetchError, fetchLayer, loadManifest } from "../fetch";
import { TRUSTED_KEYS_DIR, readTrustedKeys } from "../fetch/trusted-keys";
import { extract } from "../unpack";
import { whiteoutNote } from "../unpack/whiteout";
import { info, warn } from "../console/log";
import { unusedProxyEnv } from "../fetch/proxy";
import { ipv6Only, type Lease, searchDomains } from "../net/lease";
import { SourceHealth } from "./source-health";
import { templateVars } from "./template-vars";

export interface LayerResult {
  index: number;
  url: string;
  bytes: number;
  entries: number;
  seconds: number;
  /** Id of the trusted key whose signed manifest the layer matched (when the initramfs holds keys). */
  manifestKey?: string;
  /** An `#optional` layer every source answered 404 or 410 for: skipped (url is the first source). */
  absent?: true;
}

export async function unpackLayers(cfg: BootConfig, lease: Lease | null, root: string, keysDir = TRUSTED_KEYS_DIR): Promise<LayerResult[]> {
  const vars = templateVars(cfg, lease);
  const trusted = readTrustedKeys(keysDir);
  if (trusted.length > 0) info(`every layer needs a manifest signed by a trusted key (${trusted.map((k) => k.id).join(", ")} in ${keysDir})`);
  const unused = unusedProxyEnv(process.env, cfg.proxy);
  if (unused) warn(unused);
  if (cfg.proxy) info(`downloads go through the proxy ${cfg.proxy.url}${cfg.noProxy.length ? `, except to ${cfg.noProxy.join(", ")}` : ""}`);
  const results: LayerResult[] = [];
  const health = new SourceHealth();
  const n = cfg.layers.length;
  for (const layer of cfg.layers) {
    const label = `layer ${layer.index}/${n}`;
    const ordered = health.order(layer.urls.map((u) => expandTemplate(u, vars, label)));
    for (const d of ordered.demoted) info(`${label}: ${d.origin} is tried last: it failed ${d.label} (${d.cause})`);
    const urls = ordered.urls;
    const started = Date.now();
    const opts: FetchOptions = {
      label,
      retries: cfg.retries,
      timeoutMs: cfg.timeout * 1000,
      sha256: layer.sha256,
      caFile: cfg.ca,
      dnsServers: lease?.dns.length ? lease.dns : undefined,
      // As the booted system's resolv.conf will have it.
      dnsSearch: lease ? searchDomains(lease) : undefined,
      ...(lease && ipv6Only(lease) && { dnsFamily: 6 as const }),
      proxy: cfg.proxy,
      noProxy: cfg.noProxy,
    };
    let done;
    try {
      if (trusted.length > 0) opts.manifest = await loadManifest(urls, opts, trusted.map((k) => k.key));
      done = await fetchLayer(urls, opts, (body, src) => extract(body, root, { label: `${label} ${src.url}` }));
    } catch (err) {
      // Only "not there" at every source skips it: a timeout, a 403 or a corrupt file stays fatal.
      if (!layer.optional || !(err instanceof FetchError) || !err.absent) throw err;
      const what = opts.manifest === undefined && trusted.length > 0 ? "manifest" : "file";
      info(`${label} (optional): no such ${what} at ${err.sources.map((s) => `${s.url} (${s.cause})`).join(", ")}; skipped`);
      results.push({ index: layer.index, url: urls[0], bytes: 0, entries: 0, seconds: (Date.now() - started) / 1000, absent: true });
      continue;
    }
    health.record(label, done.failures, done.url);
    const seconds = (Date.now() - started) / 1000;
    results.push({ index: layer.index, url: done.url, bytes: done.bytes, entries: done.result.entries, seconds, ...(opts.manifest ? { manifestKey: opts.manifest.keyId } : {}) });
    const checks = [opts.manifest ? `manifest of key ${opts.manifest.keyId} verified` : "", layer.sha256 ? "sha256 verified" : ""].filter(Boolean);
    info(`${label} ${done.url}: ${done.result.entries} entries unpacked${whiteoutNote(done.result.whiteouts)}${checks.map((c) => `, ${c}`).join("")}`);
  }
  return results;
}
