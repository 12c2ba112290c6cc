import { describe, expect, it } from "vitest";
import { problems } from "../testing/cmdline-problems";
import { looksLikeUrl, parseLayers, parseMirrors } from "./layers";
import { TEMPLATE_NAMES } from "./template";

const SHA = "0123456789abcdef".repeat(4);

describe("parseLayers", () => {
  it("splits the seed example into two layers, templates kept for later", () => {
    expect(parseLayers("http://srv/base.tar.xz,http://srv/%hostname.tar.gz", [])).toEqual([
      { index: 1, raw: "http://srv/base.tar.xz", urls: ["http://srv/base.tar.xz"] },
      { index: 2, raw: "http://srv/%hostname.tar.gz", urls: ["http://srv/%hostname.tar.gz"] },
    ]);
  });

  it("accepts every template name, in a path and in a host name", () => {
    for (const name of TEMPLATE_NAMES) {
      expect(parseLayers(`http://srv/%${name}.tar.zst`, [])[0].urls, name).toEqual([`http://srv/%${name}.tar.zst`]);
      expect(parseLayers(`http://%{${name}}.srv/x.tar`, [])[0].urls, name).toEqual([`http://%{${name}}.srv/x.tar`]);
    }
  });

  it("takes https, any scheme case, ports, queries and percent-escapes", () => {
    const signed = "https://b.s3.example:8443/img/%arch.tar.zst?X-Amz-Credential=AK%2F2026%2Fs3&X-Amz-Signature=ab12";
    expect(parseLayers(`${signed},HTTP://Srv/x.tar`, [])).toEqual([
      { index: 1, raw: signed, urls: [signed] },
      { index: 2, raw: "HTTP://Srv/x.tar", urls: ["HTTP://Srv/x.tar"] },
    ]);
  });

  it("takes user:password@ for HTTP Basic credentials, a % in them written %25", () => {
    const u = "https://ops:s3cr%25t@artifacts.example/roots/base.tar.zst";
    expect(parseLayers(u, [])).toEqual([{ index: 1, raw: u, urls: [u] }]);
  });

  it("takes alternatives separated by |, in order", () => {
    expect(parseLayers("http://a/base.tar.xz|https://b/base.tar.xz", [])).toEqual([
      { index: 1, raw: "http://a/base.tar.xz|https://b/base.tar.xz", urls: ["http://a/base.tar.xz", "https://b/base.tar.xz"] },
    ]);
  });

  it("takes #sha256= after the last alternative for the whole layer, stored lowercase", () => {
    const raw = `http://a/base.tar.xz|http://b/base.tar.xz#sha256=${SHA.toUpperCase()}`;
    expect(parseLayers(raw, [])).toEqual([{ index: 1, raw, urls: ["http://a/base.tar.xz", "http://b/base.tar.xz"], sha256: SHA }]);
  });

  it("expands a relative name over every mirror, in mirror order", () => {
    expect(parseLayers(`base.tar.xz,http://x/site.tar|%hostname.tar.gz#sha256=${SHA}`, ["http://a/img/", "https://b/"])).toEqual([
      { index: 1, raw: "base.tar.xz", urls: ["http://a/img/base.tar.xz", "https://b/base.tar.xz"] },
      {
        index: 2,
        raw: `http://x/site.tar|%hostname.tar.gz#sha256=${SHA}`,
        urls: ["http://x/site.tar", "http://a/img/%hostname.tar.gz", "https://b/%hostname.tar.gz"],
        sha256: SHA,
      },
    ]);
  });

  it("drops repeated URLs in a layer, keeping the first place", () => {
    expect(parseLayers("http://a/x.tar|x.tar|http://a/x.tar", ["http://a/"])[0].urls).toEqual(["http://a/x.tar"]);
  });

  it("rejects root=ftp://x and other schemes", () => {
    expect(problems(() => parseLayers("ftp://x", []))).toEqual(['layer 1 "ftp://x": not an http:// or https:// URL']);
    expect(problems(() => parseLayers("http://a/b,nfs://srv/root", []))).toEqual(['layer 2 "nfs://srv/root": not an http:// or https:// URL']);
    expect(problems(() => parseLayers("file:///root.tar", ["http://m/"]))).toEqual(['layer 1 "file:///root.tar": not an http:// or https:// URL']);
  });

  it("rejects empty layers from doubled, leading and trailing commas", () => {
    expect(problems(() => parseLayers("http://a/b,,http://a/c", []))).toEqual(["layer 2 is empty (a doubled or trailing comma?)"]);
    expect(problems(() => parseLayers("http://a/b,", []))).toEqual(["layer 2 is empty (a doubled or trailing comma?)"]);
    expect(problems(() => parseLayers(",http://a/b", []))).toEqual(["layer 1 is empty (a doubled or trailing comma?)"]);
  });

  it("rejects empty alternatives", () => {
    expect(problems(() => parseLayers("http://a/b|", []))).toEqual(['layer 1 "http://a/b|": alternative 2 is empty']);
    expect(problems(() => parseLayers(`#sha256=${SHA}`, []))).toEqual([`layer 1 "#sha256=${SHA}": no URL`]);
  });

  it("rejects a bad sha256, an unknown #fragment and a checksum before the last alternative", () => {
    expect(problems(() => parseLayers("http://a/b#sha256=abc", []))).toEqual([
      'layer 1 "http://a/b#sha256=abc": bad sha256 "abc": needs exactly 64 hex digits',
    ]);
    expect(problems(() => parseLayers(`http://a/b#sha256=${SHA.slice(0, 63)}g`, []))[0]).toMatch(/bad sha256 .*needs exactly 64 hex digits/);
    expect(problems(() => parseLayers(`http://a/b#sha256=${SHA}0`, []))[0]).toMatch(/bad sha256/);
    expect(problems(() => parseLayers("http://a/b#md5=abc", []))).toEqual([
      'layer 1 "http://a/b#md5=abc": unknown #md5=abc; after # come sha256=<64 hex digits> and optional',
    ]);
    expect(problems(() => parseLayers(`http://a/b#sha256=${SHA}|http://c/b`, []))).toEqual([
      `layer 1 "http://a/b#sha256=${SHA}": #sha256= and #optional go once at the end of the layer, after the last alternative`,
    ]);
    expect(problems(() => parseLayers("http://a/b#optional|http://c/b", []))).toEqual([
      'layer 1 "http://a/b#optional": #sha256= and #optional go once at the end of the layer, after the last alternative',
    ]);
    expect(problems(() => parseLayers(`http://a/b#optional#optional,http://a/c#sha256=${SHA}#sha256=${SHA}`, []))).toEqual([
      'layer 1 "http://a/b#optional#optional": #optional is written twice',
      `layer 2 "http://a/c#sha256=${SHA}#sha256=${SHA}": #sha256= is written twice`,
    ]);
  });

  it("marks a layer #optional, alone or with its checksum in either order", () => {
    expect(parseLayers("http://a/base.tar,http://a/%hostname.tar#optional", [])[1]).toEqual({
      index: 2, raw: "http://a/%hostname.tar#optional", urls: ["http://a/%hostname.tar"], optional: true,
    });
    const both = parseLayers(`http://a/x.tar|http://b/x.tar#optional#sha256=${SHA},http://a/y.tar#sha256=${SHA.toUpperCase()}#optional`, []);
    expect(both.map((l) => [l.urls, l.sha256, l.optional])).toEqual([
      [["http://a/x.tar", "http://b/x.tar"], SHA, true],
      [["http://a/y.tar"], SHA, true],
    ]);
    expect(parseLayers("http://a/z.tar", [])[0]).not.toHaveProperty("optional");
  });

  it("rejects a relative name without mirrors, and a rooted one with them", () => {
    expect(problems(() => parseLayers("http://a/base.tar,site.tar", []))).toEqual([
      'layer 2 "site.tar": a name without http:// or https://, but no tarboot.mirrors= to fetch it from',
    ]);
    expect(problems(() => parseLayers("/images/base.tar", ["http://a/"]))).toEqual([
      `layer 1 "/images/base.tar": a relative name must not start with '/' (it is appended to each mirror)`,
    ]);
  });

  it("rejects spaces, quotes and control characters, which only quoting can bring in", () => {
    expect(problems(() => parseLayers("http://a/b c.tar", []))).toEqual(['layer 1 "http://a/b c.tar": contains a space, quote, backslash or control character']);
    expect(problems(() => parseLayers('http://a/b"c', []))[0]).toMatch(/contains a space, quote/);
    expect(problems(() => parseLayers("my name.tar", ["http://a/"]))[0]).toMatch(/contains a space, quote/);
  });

  it("rejects URLs without a host", () => {
    expect(problems(() => parseLayers("http:///x.tar", []))).toEqual(['layer 1 "http:///x.tar": no host after the scheme']);
    expect(problems(() => parseLayers("http://", []))).toEqual(['layer 1 "http://": no host after the scheme']);
    expect(problems(() => parseLayers("http:x.tar", []))).toEqual(['layer 1 "http:x.tar": no host after the scheme']);
    expect(problems(() => parseLayers("http://a:99999/x", []))).toEqual(['layer 1 "http://a:99999/x": not a valid URL']);
  });

  it("rejects unknown templates, in URLs and in relative names", () => {
    expect(problems(() => parseLayers("http://srv/%host.tar.gz", []))).toEqual([
      'layer 1 "http://srv/%host.tar.gz": unknown template %host (known: %hostname %fqdn %mac %ip %arch %kernel %uuid; %XX with two hex digits is a URL escape)',
    ]);
    expect(problems(() => parseLayers("%name.tar", ["http://a/"]))[0]).toMatch(/^layer 1 "%name.tar": unknown template %name/);
  });

  it("accepts a template in the host part", () => {
    expect(parseLayers("http://%arch.mirror.example/base.tar", [])[0].urls).toEqual(["http://%arch.mirror.example/base.tar"]);
  });

  it("reports problems in every layer at once", () => {
    expect(problems(() => parseLayers("ftp://x,,http://a/%nope", []))).toHaveLength(3);
  });
});

describe("parseMirrors", () => {
  it("splits on commas and ends each base URL with /", () => {
    expect(parseMirrors("http://a/,https://b/images")).toEqual(["http://a/", "https://b/images/"]);
    expect(parseMirrors("http://%arch.mirror/")).toEqual(["http://%arch.mirror/"]);
  });

  it("treats an empty value as no mirrors, so the command line can drop baked-in ones", () => {
    expect(parseMirrors("")).toEqual([]);
  });

  it("rejects non-http(s), empty entries, queries and fragments", () => {
    expect(problems(() => parseMirrors("ftp://a/,,http://b/?x=1"))).toEqual([
      'mirror 1 "ftp://a/": not an http:// or https:// URL',
      "mirror 2 is empty (a doubled or trailing comma?)",
      'mirror 3 "http://b/?x=1": a base URL cannot have a ?query or #fragment: names are appended to it',
    ]);
    expect(problems(() => parseMirrors(undefined as unknown as string))).toEqual(["needs a value"]);
  });
});

describe("looksLikeUrl", () => {
  it("recognises scheme:// and nothing else", () => {
    expect(looksLikeUrl("http://a")).toBe(true);
    expect(looksLikeUrl("ftp://x")).toBe(true);
    for (const r of ["/dev/sda1", "UUID=1234", "LABEL=root", "live:http://x", "base.tar.xz", ""]) expect(looksLikeUrl(r)).toBe(false);
  });
});
