/** HTTP Basic credentials (RFC 7617) from a URL's percent-encoded user information: a layer's or the proxy's. */
export function basicAuthorization(url: URL): string {
  return `Basic ${Buffer.from(`${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`).toString("base64")}`;
}
