// The mount stage's work: every layer fetched and unpacked, in order, into the new root.
import type { BootConfig } from "../cmdline/types";
import { expandTemplate } from "../cmdline";
import { fetchLayer } from "../fetch";
import { extract } from "../unpack";
import { info } from "../console/log";
import { type Lease, searchDomains } from "../net/lease";
import { templateVars } from "./template-vars";

export interface LayerResult {
  index: number;
  url: string;
  bytes: number;
  entries: number;
  seconds: number;
}

export async function unpackLayers(cfg: BootConfig, lease: Lease | null, root: string): Promise<LayerResult[]> {
  const vars = templateVars(cfg, lease);
  const results: LayerResult[] = [];
  const n = cfg.layers.length;
  for (const layer of cfg.layers) {
    const label = `layer ${layer.index}/${n}`;
    const urls = layer.urls.map((u) => expandTemplate(u, vars, label));
    const started = Date.now();
    const done = await fetchLayer(
      urls,
      {
        label,
        retries: cfg.retries,
        timeoutMs: cfg.timeout * 1000,
        sha256: layer.sha256,
        caFile: cfg.ca,
        dnsServers: lease?.dns.length ? lease.dns : undefined,
        // As the booted system's resolv.conf will have it.
        dnsSearch: lease ? searchDomains(lease) : undefined,
      },
      (body, src) => extract(body, root, { label: `${label} ${src.url}` }),
    );
    const seconds = (Date.now() - started) / 1000;
    results.push({ index: layer.index, url: done.url, bytes: done.bytes, entries: done.result.entries, seconds });
    info(`${label} ${done.url}: ${done.result.entries} entries unpacked${layer.sha256 ? ", sha256 verified" : ""}`);
  }
  return results;
}
