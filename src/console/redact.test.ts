import { describe, expect, it } from "vitest";
import { hideCredentials } from "./redact";

describe("hideCredentials", () => {
  it("keeps the user name and hides the password of every URL in a line", () => {
    expect(hideCredentials("layer 1/2 http://ops:s3cret@srv/base.tar.zst: HTTP 401 Unauthorized; https://a:b@m2/x: refused")).toBe(
      "layer 1/2 http://ops:***@srv/base.tar.zst: HTTP 401 Unauthorized; https://a:***@m2/x: refused",
    );
  });

  it("hides a lone token in the user part, and leaves lines without user information alone", () => {
    expect(hideCredentials("GET https://ghp_token123@artifacts.example/r.tar")).toBe("GET https://***@artifacts.example/r.tar");
    for (const plain of ["http://srv/a@b.tar", "mail root@node7 about http://srv/x", "eth0: 10.0.2.15/24", "http://[fd00::1]:8080/x"]) {
      expect(hideCredentials(plain)).toBe(plain);
    }
  });

  it("in JSON as boot.json writes it", () => {
    expect(hideCredentials(JSON.stringify({ url: "http://u:p%40ss@srv:8080/x.tar" }))).toBe('{"url":"http://u:***@srv:8080/x.tar"}');
  });
});
