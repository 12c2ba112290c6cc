// Console lines over TLS (RFC 5425) to a real rsyslogd with its GnuTLS driver: the server's
// certificate is checked against the CAs given and must name the server as the operator wrote it.
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeCerts, type TestCerts } from "../fetch/testing/tls-certs";
import { pemCertificates, trustStore } from "../fetch/trust-store";
import { TlsClientContext } from "../sys/tls";
import { type Rsyslogd, startRsyslogd } from "../testing/rsyslogd";
import { freeUdpPort } from "../testing/udp-port";
import { configureLog, error, info, warn } from "./log";
import { startSyslog } from "./syslog";

let server: Rsyslogd;
let dir: string;
let certs: TestCerts;
let siteCa: TlsClientContext;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "tarboot-syslog-tls-"));
  certs = makeCerts(dir, "IP:127.0.0.1,DNS:loghost.test");
  server = await startRsyslogd({ address: "127.0.0.1", port: await freeUdpPort(), tls: { caFile: certs.caFile, certFile: certs.certFile, keyFile: certs.keyFile } });
  siteCa = TlsClientContext.create(trustStore(certs.caFile).flatMap(pemCertificates));
}, 120_000);
afterAll(async () => {
  await server?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("tarboot.syslog=tls://", () => {
  it("sends the earlier lines, then every line, to a server whose certificate names it and chains to tarboot.ca=", async () => {
    configureLog({ quiet: true });
    info("booting 1 layer(s): https://srv/base.tar.zst (over TLS)");
    // The name as written in tarboot.syslog=; the address it was looked up to.
    const failed = startSyslog({ host: "127.0.0.1", port: server.port, transport: "tls" }, "lo", () => "node9", Date.now, { name: "loghost.test", context: siteCa });
    expect(failed).toBeNull();
    warn("layer 1/1: connection reset at 12 MiB, retry 1/7 in 1s");
    error("layer 1/1: sha256 mismatch: expected 00, got 11");
    const lines = await server.waitFor(/sha256 mismatch/, 5000);
    expect(lines).toEqual([
      `30 node9 tarboot ${process.pid} booting 1 layer(s): https://srv/base.tar.zst (over TLS)`,
      `28 node9 tarboot ${process.pid} layer 1/1: connection reset at 12 MiB, retry 1/7 in 1s`,
      `27 node9 tarboot ${process.pid} layer 1/1: sha256 mismatch: expected 00, got 11`,
    ]);
  });

  it("checks an address written in tarboot.syslog= against the certificate's IP addresses", () => {
    const ok = startSyslog({ host: "127.0.0.1", port: server.port, transport: "tls" }, "lo", () => "node9", Date.now, { name: "127.0.0.1", context: siteCa });
    expect(ok).toBeNull();
  });

  it("refuses a server whose certificate chains to no CA it was given, or names another server, and sends it nothing", async () => {
    const before = server.lines().length;
    const builtIn = trustStore(undefined).flatMap(pemCertificates);
    expect(builtIn.length).toBeGreaterThan(50);
    const builtInOnly = TlsClientContext.create(builtIn);
    // Their lines would carry this host name (the earlier tests' senders still send as node9).
    const refused = () => "refused1";
    const untrusted = startSyslog({ host: "127.0.0.1", port: server.port, transport: "tls" }, "lo", refused, Date.now, { name: "loghost.test", context: builtInOnly });
    expect(untrusted).toBe(`TLS to 127.0.0.1:${server.port} (loghost.test): the server's certificate is not trusted: unable to get local issuer certificate`);
    const misnamed = startSyslog({ host: "127.0.0.1", port: server.port, transport: "tls" }, "lo", refused, Date.now, { name: "other.test", context: siteCa });
    expect(misnamed).toBe(`TLS to 127.0.0.1:${server.port} (other.test): the server's certificate is not trusted: hostname mismatch`);
    warn("a line the refused connections must not carry");
    // The two earlier tests' senders deliver it; the refused ones would add theirs as refused1.
    const carried = () => server.lines().slice(before).filter((l) => l.includes("must not carry"));
    for (const until = Date.now() + 5000; carried().length < 2 && Date.now() < until; ) await new Promise((r) => setTimeout(r, 50));
    await new Promise((r) => setTimeout(r, 300));
    expect(carried()).toHaveLength(2);
    expect(server.lines().filter((l) => l.includes("refused1"))).toEqual([]);
  });

  it("refuses a CA bundle whose certificate does not parse, naming OpenSSL's reason", () => {
    const bad = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----";
    expect(() => TlsClientContext.create([bad])).toThrow(/^a CA certificate does not parse: .+/);
  });

  it("gives up on a server that accepts the connection but never answers the handshake, within the connection timeout", async () => {
    // Not TLS at all: the kernel accepts, nothing answers.
    const held: Socket[] = [];
    const mute = createServer((s) => held.push(s));
    await new Promise<void>((r) => mute.listen(0, "127.0.0.1", r));
    const port = (mute.address() as { port: number }).port;
    try {
      const t0 = Date.now();
      const failed = startSyslog({ host: "127.0.0.1", port, transport: "tls" }, "lo", () => "node9", Date.now, { name: "127.0.0.1", context: siteCa });
      expect(Date.now() - t0).toBeLessThan(3000);
      expect(failed).toBe(`TLS to 127.0.0.1:${port} (127.0.0.1): handshake: the server did not answer in time`);
    } finally {
      for (const s of held) s.destroy();
      await new Promise<void>((r) => mute.close(() => r()));
    }
  });
});

