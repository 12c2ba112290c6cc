import { describe, expect, it } from "vitest";
import type { Lease } from "../net/lease";
import { layersFromLease } from "./dhcp-root";

const lease = (rootPath?: string) => ({ serverId: "10.0.0.1", ...(rootPath !== undefined ? { rootPath } : {}) }) as Lease;
const SHA = "ab".repeat(32);

describe("root=dhcp", () => {
  it("reads the root path with root='s grammar: layers, alternatives, #sha256=, templates, mirror-relative names", () => {
    expect(layersFromLease(lease(`http://a/base.tar.zst|http://b/base.tar.zst#sha256=${SHA},%hostname.tar.gz`), ["http://m/roots/"])).toEqual([
      { index: 1, raw: `http://a/base.tar.zst|http://b/base.tar.zst#sha256=${SHA}`, urls: ["http://a/base.tar.zst", "http://b/base.tar.zst"], sha256: SHA },
      { index: 2, raw: "%hostname.tar.gz", urls: ["http://m/roots/%hostname.tar.gz"] },
    ]);
  });

  it("says what to do when the server sends none, and what is wrong with a bad one, naming the server", () => {
    expect(() => layersFromLease(lease(), [])).toThrow(
      'root=dhcp: the DHCP server (10.0.0.1) sent no root path (option 17); give it one (dnsmasq: dhcp-option=17,"http://srv/base.tar.zst"), or put root= on the command line',
    );
    expect(() => layersFromLease(null, [])).toThrow(/^root=dhcp: the DHCP server sent no root path/);
    expect(() => layersFromLease(lease("ftp://srv/x.tar"), [])).toThrow(
      'root=dhcp: the root path from the DHCP server (10.0.0.1), "ftp://srv/x.tar": layer 1 "ftp://srv/x.tar": not an http:// or https:// URL',
    );
  });
});
