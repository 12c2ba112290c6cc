import { describe, expect, it } from "vitest";
import type { Lease } from "../lease";
import { ntpServers } from "./servers";

const lease = { ntp: ["10.0.0.123", "10.0.0.124"] } as Lease;

describe("which NTP servers set the clock", () => {
  it("the lease's by default (port 123), none without a lease or with tarboot.ntp=off, the named ones over the lease's", () => {
    expect(ntpServers({ mode: "lease" }, lease)).toEqual([
      { host: "10.0.0.123", port: 123 },
      { host: "10.0.0.124", port: 123 },
    ]);
    expect(ntpServers({ mode: "lease" }, null)).toEqual([]);
    expect(ntpServers({ mode: "off" }, lease)).toEqual([]);
    expect(ntpServers({ mode: "servers", servers: [{ host: "10.9.9.9", port: 1123 }] }, lease)).toEqual([{ host: "10.9.9.9", port: 1123 }]);
  });
});
