// Errors a layer download ends with. Each message reads well on a console by itself: it starts with the
// layer label and names the URL and the cause, because it is the last thing an operator sees before
// the failure path runs.

/** One source (URL) given up on, with the last reason. */
export interface SourceFailure {
  url: string;
  cause: string;
  attempts: number;
  /** The failure cannot change by retrying (404, certificate, NXDOMAIN). */
  permanent: boolean;
  /** The HTTP status of the last answer, when the server answered with one the download cannot use. */
  status?: number;
}

export function describeSource(f: SourceFailure): string {
  return `${f.url}: ${f.cause}${f.attempts > 1 ? ` (${f.attempts} attempts)` : ""}`;
}

/** Every source of a layer failed (or the download could not even start). */
export class FetchError extends Error {
  readonly label: string;
  readonly sources: SourceFailure[];

  constructor(label: string, sources: SourceFailure[], message?: string, options?: { cause?: unknown }) {
    super(message ?? `${label}: all sources failed: ${sources.map(describeSource).join("; ")}`, options);
    this.name = "FetchError";
    this.label = label;
    this.sources = sources;
  }

  /** Every source answered that the file is not there (404 Not Found, 410 Gone); nothing else went wrong. */
  get absent(): boolean {
    return this.sources.length > 0 && this.sources.every((s) => s.status === 404 || s.status === 410);
  }
}

/** The downloaded bytes do not have the digest given with `URL#sha256=`. */
export class ChecksumError extends Error {
  readonly label: string;
  readonly url: string;
  readonly expected: string;
  readonly actual: string;

  constructor(label: string, url: string, expected: string, actual: string) {
    super(`${label} ${url}: sha256 mismatch: expected ${expected}, got ${actual}`);
    this.name = "ChecksumError";
    this.label = label;
    this.url = url;
    this.expected = expected;
    this.actual = actual;
  }
}

/**
 * Destroys the stream a consumer is reading when the download has to start again from byte 0 (the server
 * cannot resume, or the file changed). The consumer's failure is expected and awaited; it is then called
 * again with a fresh stream.
 */
export class RestartLayerError extends Error {
  readonly label: string;
  readonly url: string;

  constructor(label: string, url: string, reason: string) {
    super(`${label} ${url}: ${reason}: restarting layer from 0`);
    this.name = "RestartLayerError";
    this.label = label;
    this.url = url;
  }
}

/** A response the download cannot use (status, bad Content-Range); carries the classification. */
export class ResponseRejected extends Error {
  constructor(
    readonly reason: string,
    readonly permanent: boolean,
    /** Ask again without Range: the server's partial answer does not fit what we have. */
    readonly retryFresh = false,
    /** Server-requested wait (Retry-After), milliseconds. */
    readonly retryAfterMs?: number,
    /** The HTTP status that was refused, when it was a status. */
    readonly status?: number,
  ) {
    super(reason);
    this.name = "ResponseRejected";
  }
}

/** A name lookup through the lease's DNS servers failed. */
export class DnsError extends Error {
  constructor(
    readonly code: string,
    readonly hostname: string,
    readonly servers: string[],
  ) {
    super(`DNS lookup of ${hostname} via ${servers.join(", ")} failed: ${code}`);
    this.name = "DnsError";
  }
}
