import { describe, expect, it } from "vitest";
import { SourceHealth } from "./source-health";

const failure = (url: string, cause: string, status?: number) => ({ url, cause, attempts: 8, permanent: status !== undefined && status < 500, ...(status ? { status } : {}) });

describe("SourceHealth", () => {
  it("moves a server that failed an earlier layer to the end, keeping the order of the rest", () => {
    const h = new SourceHealth();
    h.record("layer 1/3", [failure("http://m1/roots/base.tar", "connect timed out after 30s")], "http://m2/roots/base.tar");
    expect(h.order(["http://m1/roots/site.tar", "http://m2/roots/site.tar", "http://m3/roots/site.tar"])).toEqual({
      urls: ["http://m2/roots/site.tar", "http://m3/roots/site.tar", "http://m1/roots/site.tar"],
      demoted: [{ origin: "http://m1", label: "layer 1/3", cause: "connect timed out after 30s, 8 attempts" }],
    });
  });

  it("takes a port as part of the server, and a 5xx as trouble", () => {
    const h = new SourceHealth();
    h.record("layer 1/2", [failure("http://m:8080/a.tar", "HTTP 503 Service Unavailable", 503)], "http://m:8081/a.tar");
    expect(h.order(["http://m:8080/b.tar", "http://m:8081/b.tar"]).urls).toEqual(["http://m:8081/b.tar", "http://m:8080/b.tar"]);
  });

  it("leaves a server alone when it only lacked one file (4xx), and trusts one again once it delivers", () => {
    const h = new SourceHealth();
    h.record("layer 1/3", [failure("http://m1/a.tar", "HTTP 404 Not Found", 404)], "http://m2/a.tar");
    expect(h.order(["http://m1/b.tar", "http://m2/b.tar"]).demoted).toEqual([]);
    h.record("layer 2/3", [failure("http://m1/b.tar", "connection refused")], "http://m2/b.tar");
    h.record("layer 3/3", [], "http://m1/c.tar");
    expect(h.order(["http://m1/d.tar", "http://m2/d.tar"]).urls).toEqual(["http://m1/d.tar", "http://m2/d.tar"]);
  });

  it("changes nothing when every source is on a troubled server", () => {
    const h = new SourceHealth();
    h.record("layer 1/2", [failure("http://m1/a.tar", "connection refused")], "http://m2/a.tar");
    h.record("layer 1/2", [failure("http://m2/x.tar", "connection refused")], "http://m3/a.tar");
    expect(h.order(["http://m1/b.tar", "http://m2/b.tar"])).toEqual({ urls: ["http://m1/b.tar", "http://m2/b.tar"], demoted: [] });
  });
});
