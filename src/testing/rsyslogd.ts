// A real syslog server for the remote-logging tests: Debian's rsyslogd, unpacked from its package
// (installing it would replace this machine's logging), receiving UDP on one address and port and
// writing each message as `PRI HOSTNAME PROGRAM PROCID MSG` to a file the test reads.
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stopDaemon } from "./daemon";
import { unpackedPackage } from "./debian-package";

export interface Rsyslogd {
  port: number;
  /** Messages received so far, one line each. */
  lines(): string[];
  /** Resolves with the lines once one matches; rejects after `timeoutMs`. */
  waitFor(re: RegExp, timeoutMs: number): Promise<string[]>;
  stop(): Promise<void>;
}

/** A server certificate for syslog over TLS (RFC 5425), PEM files. */
export interface RsyslogTls {
  caFile: string;
  certFile: string;
  keyFile: string;
}

const MODULES = "usr/lib/x86_64-linux-gnu/rsyslog";

/**
 * With `tcp`, it also listens on TCP at the same port (RFC 6587 framing, octet counting included);
 * with `tls`, that TCP input speaks TLS (rsyslog's GnuTLS driver, from rsyslog-gnutls) and asks
 * the client for no certificate.
 */
export async function startRsyslogd(o: { address: string; port: number; tcp?: boolean; tls?: RsyslogTls }): Promise<Rsyslogd> {
  const tree = await unpackedPackage("rsyslog", "usr/sbin/rsyslogd");
  const dir = mkdtempSync(join(tmpdir(), "tarboot-rsyslogd-"));
  let modules = join(tree, MODULES);
  if (o.tls) {
    // One module folder (-M) with the GnuTLS stream driver beside rsyslog's own modules.
    const gtls = await unpackedPackage("rsyslog-gnutls", `${MODULES}/lmnsd_gtls.so`);
    const merged = join(dir, "modules");
    mkdirSync(merged);
    for (const from of [join(tree, MODULES), join(gtls, MODULES)]) for (const f of readdirSync(from)) symlinkSync(join(from, f), join(merged, f));
    modules = merged;
  }
  const out = join(dir, "messages");
  const tcpInput = [`module(load="${join(modules, "imtcp.so")}")`, `input(type="imtcp" address="${o.address}" port="${o.port}")`];
  const tlsInput = o.tls
    ? [
        `global(DefaultNetstreamDriverCAFile="${o.tls.caFile}" DefaultNetstreamDriverCertFile="${o.tls.certFile}" DefaultNetstreamDriverKeyFile="${o.tls.keyFile}")`,
        `module(load="${join(modules, "imtcp.so")}" StreamDriver.Name="gtls" StreamDriver.Mode="1" StreamDriver.AuthMode="anon")`,
        `input(type="imtcp" address="${o.address}" port="${o.port}")`,
      ]
    : [];
  writeFileSync(
    join(dir, "rsyslog.conf"),
    [
      `module(load="${join(modules, "imudp.so")}")`,
      `input(type="imudp" address="${o.address}" port="${o.port}")`,
      ...(o.tls ? tlsInput : o.tcp ? tcpInput : []),
      'template(name="line" type="string" string="%pri% %hostname% %programname% %procid% %msg%\\n")',
      `*.* action(type="omfile" file="${out}" template="line")`,
      "",
    ].join("\n"),
  );
  // -n: foreground; -i: its own pid file; -M: where its modules are.
  const child: ChildProcess = spawn(join(tree, "usr/sbin/rsyslogd"), ["-n", "-f", join(dir, "rsyslog.conf"), "-i", join(dir, "pid"), "-M", modules], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr?.on("data", (d: Buffer) => (stderr += d.toString()));
  // Its own probe lines are not the test's.
  const lines = () => (existsSync(out) ? readFileSync(out, "utf8").split("\n").filter((l) => l && !l.includes(" rsyslogd-ready ")) : []);
  // Ready once a message sent to it has been written: its pid file comes before the UDP input
  // listens, and a busy machine (QEMU guests alongside) can make that gap seconds long.
  const { createSocket } = await import("node:dgram");
  const probe = createSocket("udp4");
  try {
    for (let i = 0; !(existsSync(out) && readFileSync(out, "utf8").includes(" rsyslogd-ready ")); i++) {
      if (child.exitCode !== null || i > 200) throw new Error(`rsyslogd did not start: ${stderr}`);
      probe.send("<14>1 - - rsyslogd-ready - - - ready", o.port, o.address);
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    probe.close();
  }
  if (o.tcp || o.tls) await tcpListening(o.address, o.port, child, () => stderr);
  return {
    port: o.port,
    lines,
    async waitFor(re, timeoutMs) {
      const until = Date.now() + timeoutMs;
      for (;;) {
        const l = lines();
        if (l.some((x) => re.test(x))) return l;
        if (Date.now() > until) throw new Error(`no syslog line matched ${re} in ${timeoutMs} ms; got:\n${l.join("\n")}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    stop: () => stopDaemon(child, dir),
  };
}

/** Waits until the TCP input accepts connections (it may start after the UDP one). */
async function tcpListening(address: string, port: number, child: ChildProcess, stderr: () => string): Promise<void> {
  const { connect } = await import("node:net");
  for (let i = 0; ; i++) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect(port, address, () => {
        s.destroy();
        resolve(true);
      });
      s.on("error", () => resolve(false));
    });
    if (ok) return;
    if (child.exitCode !== null || i > 200) throw new Error(`rsyslogd's TCP input did not start: ${stderr()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
