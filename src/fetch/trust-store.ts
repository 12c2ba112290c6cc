// The CAs a TLS server's certificate is checked against: Node's default store (its bundled Mozilla
// roots, plus NODE_EXTRA_CA_CERTS) with the operator's bundle (tarboot.ca=) added. https:// layers
// and syslog over TLS trust the same list.
import { readFileSync } from "node:fs";

/** Node's default trust store and the given bundle, as PEM texts. */
export function trustStore(caFile: string | undefined): string[] {
  const tls = process.getBuiltinModule("node:tls");
  const defaults = typeof tls.getCACertificates === "function" ? tls.getCACertificates("default") : [...tls.rootCertificates];
  if (!caFile) return defaults;
  const pem = readFileSync(caFile, "utf8");
  if (!pem.includes("-----BEGIN CERTIFICATE-----")) {
    throw new Error(`${caFile} contains no PEM certificate`);
  }
  // `ca` replaces the defaults instead of adding to them, so they are listed too.
  return [...defaults, pem];
}

/** The PEM certificates in `pem`, in order (a bundle or a single certificate), for a store that takes one at a time. */
export function pemCertificates(pem: string): string[] {
  return pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
}
