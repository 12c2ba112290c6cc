// A server that failed one layer is tried last for the layers after it. Without this a blackholed
// first mirror cost tarboot.retries attempts of tarboot.timeout each (4 minutes by default) for
// every layer of the boot, not once.
import type { SourceFailure } from "../fetch";

interface Trouble {
  label: string;
  cause: string;
}

export interface Demoted extends Trouble {
  origin: string;
}

function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return url;
  }
}

/** A failure of the server itself (no answer, a stall, a 5xx, TLS, DNS), not a 4xx about one file. */
function serverTrouble(f: SourceFailure): boolean {
  return f.status === undefined || f.status >= 500;
}

export class SourceHealth {
  private readonly troubled = new Map<string, Trouble>();

  /** `urls` with those on a troubled server moved to the end, the order otherwise kept. */
  order(urls: string[]): { urls: string[]; demoted: Demoted[] } {
    const good = urls.filter((u) => !this.troubled.has(originOf(u)));
    if (good.length === 0 || good.length === urls.length) return { urls, demoted: [] };
    const bad = urls.filter((u) => this.troubled.has(originOf(u)));
    const demoted = [...new Set(bad.map(originOf))].map((origin) => ({ origin, ...(this.troubled.get(origin) as Trouble) }));
    return { urls: [...good, ...bad], demoted };
  }

  /** After a layer `label` was delivered by `deliveredBy` once `failures` were given up on. */
  record(label: string, failures: SourceFailure[], deliveredBy: string): void {
    for (const f of failures) {
      if (serverTrouble(f)) this.troubled.set(originOf(f.url), { label, cause: f.attempts > 1 ? `${f.cause}, ${f.attempts} attempts` : f.cause });
    }
    this.troubled.delete(originOf(deliveredBy));
  }
}
