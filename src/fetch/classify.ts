// Turns whatever an attempt failed with (a socket error, an HTTP client error, a TLS verification code, a
// DNS answer, a rejected response) into a short console phrase and a verdict: is retrying the same URL
// worth it? Permanent failures move on to the next mirror at once instead of burning the retry budget.
import { DnsError, ResponseRejected } from "./errors";
import { formatBytes, formatDelay } from "../console/units";

export interface Failure {
  cause: string;
  permanent: boolean;
  retryFresh?: boolean;
  retryAfterMs?: number;
  /** The HTTP status the server refused with, when it answered with one. */
  status?: number;
  /** No TCP connection could be made (refused, timed out, no route): the server may be down. */
  unreachable?: boolean;
}

/** Connection failures that say nothing is listening there, or nothing can be reached. */
const UNREACHABLE = new Set(["HTTP_CONNECT_TIMEOUT", "ECONNREFUSED", "EHOSTUNREACH", "ENETUNREACH", "EHOSTDOWN"]);

/** Certificate verification results (OpenSSL's names as Node reports them): retrying cannot fix them. */
const CERT_CODES: Record<string, string> = {
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: "certificate not trusted (unable to verify the first certificate)",
  UNABLE_TO_GET_ISSUER_CERT: "certificate not trusted (issuer unknown)",
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: "certificate not trusted (issuer unknown)",
  SELF_SIGNED_CERT_IN_CHAIN: "certificate not trusted (self-signed certificate in chain)",
  DEPTH_ZERO_SELF_SIGNED_CERT: "certificate not trusted (self-signed certificate)",
  CERT_UNTRUSTED: "certificate not trusted",
  CERT_REJECTED: "certificate rejected",
  CERT_SIGNATURE_FAILURE: "certificate signature invalid",
  CERT_REVOKED: "certificate revoked",
  INVALID_CA: "invalid CA certificate",
  ERR_TLS_CERT_ALTNAME_INVALID: "certificate does not match the host name",
  HOSTNAME_MISMATCH: "certificate does not match the host name",
};

const ERRNO_PHRASES: Record<string, string> = {
  ECONNREFUSED: "connection refused",
  ECONNRESET: "connection reset",
  EPIPE: "connection reset",
  ECONNABORTED: "connection aborted",
  ETIMEDOUT: "connection timed out",
  EHOSTUNREACH: "host unreachable",
  ENETUNREACH: "network unreachable",
  EHOSTDOWN: "host down",
  ENETDOWN: "network down",
  EADDRNOTAVAIL: "no usable local address",
};

/** Errors nest (AggregateError from happy eyeballs, `cause` chains): the innermost coded one says most. */
function codedErrors(err: unknown, depth = 0): Array<Error & { code?: string }> {
  if (!(err instanceof Error) || depth > 5) return [];
  const found: Array<Error & { code?: string }> = [err];
  if (err instanceof AggregateError) for (const e of err.errors) found.push(...codedErrors(e, depth + 1));
  const cause = (err as { cause?: unknown }).cause;
  if (cause !== undefined) found.push(...codedErrors(cause, depth + 1));
  return found;
}

function timeoutText(ms: number): string {
  return formatDelay(ms);
}

export function classifyFailure(err: unknown, ctx: { timeoutMs: number; now?: () => Date }): Failure {
  if (err instanceof ResponseRejected) {
    return { cause: err.reason, permanent: err.permanent, retryFresh: err.retryFresh, retryAfterMs: err.retryAfterMs, ...(err.status !== undefined ? { status: err.status } : {}) };
  }
  const chain = codedErrors(err);
  for (const e of chain) {
    if (e instanceof DnsError) return classifyDns(e);
  }
  for (const e of chain) {
    const code = e.code ?? "";
    if (CERT_CODES[code]) {
      return { cause: `TLS: ${CERT_CODES[code]}${hint(code)}`, permanent: true };
    }
    if (code === "CERT_HAS_EXPIRED" || code === "CERT_NOT_YET_VALID") {
      // A diskless node often boots with a wrong clock (no RTC battery, no NTP yet): say what time it thinks it is.
      const now = (ctx.now ?? (() => new Date()))().toISOString();
      const what = code === "CERT_HAS_EXPIRED" ? "certificate has expired" : "certificate is not yet valid";
      return { cause: `TLS: ${what} (system clock says ${now}; tarboot.ntp= or DHCP option 42 sets it at boot)`, permanent: true };
    }
    if (code.startsWith("ERR_SSL_") || code.startsWith("ERR_TLS_")) {
      const plain = code === "ERR_SSL_WRONG_VERSION_NUMBER" || code === "ERR_SSL_PACKET_LENGTH_TOO_LONG";
      return {
        cause: `TLS handshake failed: ${e.message}${plain ? " (is the port serving plain HTTP?)" : ""}`,
        permanent: true,
      };
    }
  }
  for (const e of chain) {
    const code = e.code ?? "";
    switch (code) {
      case "HTTP_CONNECT_TIMEOUT":
        return { cause: `connect timed out after ${timeoutText(ctx.timeoutMs)}`, permanent: false, unreachable: true };
      case "HTTP_HEADERS_TIMEOUT":
        return { cause: `no response within ${timeoutText(ctx.timeoutMs)}`, permanent: false };
      case "HTTP_BODY_TIMEOUT":
        return { cause: `no data for ${timeoutText(ctx.timeoutMs)}`, permanent: false };
      case "HTTP_BODY_STALLED":
        return { cause: `stalled: ${formatBytes((e as { bytes?: number }).bytes ?? 0)} in ${timeoutText(ctx.timeoutMs)}`, permanent: false };
      case "HTTP_BODY_TRUNCATED":
        return { cause: "connection closed before the end of the body", permanent: false };
      case "HTTP_CLOSED":
        return { cause: "connection closed by the server", permanent: false };
      case "HTTP_BAD_RESPONSE":
        return { cause: `invalid HTTP response (${e.message})`, permanent: false };
      case "ENOTFOUND":
        return { cause: `DNS: host not found (${(e as { hostname?: string }).hostname ?? "?"})`, permanent: true };
      case "EAI_AGAIN":
        return { cause: `DNS: temporary failure resolving ${(e as { hostname?: string }).hostname ?? "the host"}`, permanent: false };
    }
    if (ERRNO_PHRASES[code]) return { cause: ERRNO_PHRASES[code], permanent: false, ...(UNREACHABLE.has(code) ? { unreachable: true } : {}) };
  }
  const first = chain[0];
  return { cause: first ? first.message || first.name : String(err), permanent: false };
}

function hint(code: string): string {
  if (code === "ERR_TLS_CERT_ALTNAME_INVALID" || code === "HOSTNAME_MISMATCH") return "";
  return "; give the CA bundle with tarboot.ca=";
}

/** A failed lookup as the console says it: `DNS: ntp1 does not exist (NXDOMAIN via 10.0.0.1)`. */
export function dnsCause(e: DnsError): string {
  return classifyDns(e).cause;
}

function classifyDns(e: DnsError): Failure {
  const via = `via ${e.servers.join(", ")}`;
  switch (e.code) {
    case "ENOTFOUND":
      return { cause: `DNS: ${e.hostname} does not exist (NXDOMAIN ${via})`, permanent: true };
    case "ENODATA":
      return { cause: `DNS: ${e.hostname} has no address record (${via})`, permanent: true };
    case "ETIMEOUT":
      return { cause: `DNS: no answer for ${e.hostname} ${via}`, permanent: false };
    case "ECONNREFUSED":
      return { cause: `DNS: server refused connection resolving ${e.hostname} (${via})`, permanent: false };
    default:
      return { cause: `DNS: resolving ${e.hostname} ${via} failed (${e.code})`, permanent: false };
  }
}
