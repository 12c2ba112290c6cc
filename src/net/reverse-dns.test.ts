import { createSocket } from "node:dgram";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DnsResponder, startDnsResponder } from "../fetch/testing/dns-responder";
import { reverseName, splitName } from "./reverse-dns";

let dns: DnsResponder;
beforeAll(async () => {
  dns = await startDnsResponder({ "15.2.0.10.in-addr.arpa": "node77.cluster.test", "16.2.0.10.in-addr.arpa": "bad_name.cluster.test" });
});
afterAll(() => dns?.close());

describe("reverseName", () => {
  it("gives the PTR name of the address, without the final dot", async () => {
    expect(await reverseName("10.0.2.15", [dns.server], 1000)).toBe("node77.cluster.test");
    expect(dns.queries).toContain("15.2.0.10.in-addr.arpa/12");
  });

  it("gives nothing for an address DNS does not know, a name that is not a host name, or a server that does not answer", async () => {
    expect(await reverseName("10.0.2.99", [dns.server], 1000)).toBeNull();
    expect(await reverseName("10.0.2.16", [dns.server], 1000)).toBeNull();
    const silent = createSocket("udp4");
    await new Promise<void>((r) => silent.bind(0, "127.0.0.1", () => r()));
    try {
      const t0 = Date.now();
      expect(await reverseName("10.0.2.15", [`127.0.0.1:${silent.address().port}`, `127.0.0.1:${silent.address().port}`], 300)).toBeNull();
      expect(Date.now() - t0).toBeLessThan(1000);
    } finally {
      silent.close();
    }
  });
});

describe("splitName", () => {
  it("takes the first label as the host name and the rest as the domain unless the lease has one", () => {
    expect(splitName("node77.cluster.test", undefined)).toEqual({ hostname: "node77", domain: "cluster.test" });
    expect(splitName("node77.cluster.test", "site.example")).toEqual({ hostname: "node77", domain: "site.example" });
    expect(splitName("node77", undefined)).toEqual({ hostname: "node77" });
  });
});
