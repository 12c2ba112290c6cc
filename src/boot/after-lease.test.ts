// tarboot.syslog= by name: looked up through the lease's DNS server (a real resolver against a
// small authoritative server), then the lines go to a real rsyslogd. A name that does not resolve
// is a warning, and that warning still reaches the server once a later sink starts.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BootConfig } from "../cmdline/types";
import { configureLog, info } from "../console/log";
import { type DnsResponder, startDnsResponder } from "../fetch/testing/dns-responder";
import type { NetworkSession } from "../net";
import type { Lease } from "../net/lease";
import { Timeline } from "../root/timeline";
import { type Rsyslogd, startRsyslogd } from "../testing/rsyslogd";
import { freeUdpPort } from "../testing/udp-port";
import { syslogServer, useLease } from "./after-lease";

let server: Rsyslogd;
let dns: DnsResponder;

beforeAll(async () => {
  server = await startRsyslogd({ address: "127.0.0.1", port: await freeUdpPort() });
  dns = await startDnsResponder({ "loghost.lab.example": "127.0.0.1" });
}, 120_000);
afterAll(async () => {
  await server?.stop();
  await dns?.close();
});

function session(): NetworkSession {
  const lease: Lease = {
    source: "dhcp", iface: "lo", mac: "00:00:00:00:00:00", address: "127.0.0.1", prefix: 8, netmask: "255.0.0.0",
    dns: [dns.server], search: ["lab.example"], ntp: [],
  };
  return { lease, hostname: "node7", named: Promise.resolve(), on: () => () => {}, stop: async () => {} };
}

const config = (host: string): BootConfig => ({ ntp: { mode: "off" }, syslog: { host, port: server.port, transport: "udp" }, rootFromDhcp: false, layers: [] }) as unknown as BootConfig;

describe("useLease: tarboot.syslog= by name", () => {
  it("warns about a name that does not resolve, then sends to one that does, the warning included", async () => {
    configureLog({ quiet: true });
    await useLease(config("ghost"), session(), new Timeline());
    await useLease(config("loghost"), session(), new Timeline());
    info("after the sink started");
    const lines = await server.waitFor(/after the sink started/, 5000);
    expect(lines).toContainEqual(
      `28 node7 tarboot ${process.pid} tarboot.syslog=ghost:${server.port}: DNS: ghost (tried ghost.lab.example, ghost) does not exist (NXDOMAIN via ${dns.server}); console lines are not sent`,
    );
    expect(lines).toContainEqual(`30 node7 tarboot ${process.pid} console lines also go to syslog at loghost:${server.port} (127.0.0.1)`);
    expect(dns.queries).toContain("loghost.lab.example/1");
  });
});

describe("which syslog server", () => {
  it("tarboot.syslog= first, else the lease's first log server (option 7) over UDP, and none with off", () => {
    const lease = { logServers: ["10.0.0.7", "10.0.0.8"] } as Lease;
    expect(syslogServer(undefined, lease)).toEqual({ server: { host: "10.0.0.7", port: 514, transport: "udp" }, from: "the DHCP lease's log server (option 7)" });
    expect(syslogServer({ host: "loghost", port: 601, transport: "tcp" }, lease)).toEqual({ server: { host: "loghost", port: 601, transport: "tcp" }, from: "tarboot.syslog" });
    expect(syslogServer("off", lease)).toBeNull();
    expect(syslogServer(undefined, { dns: [] } as unknown as Lease)).toBeNull();
    expect(syslogServer(undefined, null)).toBeNull();
  });
});
