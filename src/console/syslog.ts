// tarboot.syslog=[udp://|tcp://|tls://]HOST[:PORT]: every console line also goes to a syslog
// server, so that a cluster whose serial consoles nobody watches still learns why a node did not
// boot. Lines from before the network was up are sent first. Sends are synchronous: a line logged
// just before an exec, a reboot or the rescue shell has left. UDP (RFC 5426) goes out on a socket
// tied to the lease's interface and may be lost; TCP (RFC 6587, octet counting) is delivered, at
// the price of a connection, and TLS (RFC 5425, the same frames) also keeps the lines from the
// network and proves the server is the one named: a server that refuses, stalls or fails the
// certificate check costs at most a second a line and is asked again every ten seconds meanwhile,
// with the lines since kept (the last 500) and sent once it answers.
import type { SyslogServer } from "../cmdline/types";
import { formatSyslogServer } from "../cmdline/values";
import { BlockingTcp, DeviceUdpSocket } from "../sys/socket";
import { BlockingTls, type TlsClientContext } from "../sys/tls";
import { addLogSink, logLocal } from "./log";
import { formatSyslog } from "./syslog-message";

export const TCP_TIMEOUT_MS = 1000;
export const TCP_RETRY_MS = 10_000;
const TCP_QUEUE = 500;

/** For tls://: the server as the operator named it (its certificate must name it too) and the CAs it is checked against. */
export interface SyslogTls {
  name: string;
  context: TlsClientContext;
}

/**
 * Starts sending to `server` (its host an address by now); `hostname` is asked at each line (the
 * lease may name the node later). For TCP and TLS, returns why the first connection failed (lines
 * are kept and sent once one succeeds).
 */
export function startSyslog(server: SyslogServer, iface: string, hostname: () => string | undefined, now = Date.now, tls?: SyslogTls): string | null {
  const format = (level: Parameters<typeof formatSyslog>[0]["level"], message: string, timeMs: number) =>
    formatSyslog({ level, message, timeMs, hostname: hostname(), pid: process.pid });
  if (server.transport === "udp") {
    const sock = DeviceUdpSocket.open(iface, 0, null, server.host.includes(":") ? "::" : "0.0.0.0");
    addLogSink((level, message, timeMs) => sock.send(format(level, message, timeMs), server.host, server.port));
    return null;
  }
  if (server.transport === "tls" && !tls) throw new Error("tarboot.syslog=tls://: the server's name and CAs are needed");
  const open = (): Connection => {
    const tcp = BlockingTcp.connect(server.host, server.port, TCP_TIMEOUT_MS);
    if (!tls) return tcp;
    try {
      // One context for every reconnection: the CAs are read once.
      return BlockingTls.connect(tcp, tls.name, tls.context);
    } catch (err) {
      tcp.close();
      throw err;
    }
  };
  const label = `tarboot.syslog=${formatSyslogServer(tls ? { ...server, host: tls.name } : server)}`;
  const sender = new StreamSender(open, label, now);
  const first = sender.connect();
  addLogSink(
    (level, message, timeMs) => sender.send(format(level, message, timeMs)),
    () => sender.flush(),
  );
  return first;
}

interface Connection {
  send(data: Buffer): void;
  waitAcknowledged(timeoutMs: number): boolean;
  close(): void;
}

/** Octet-counted frames over a connection (TCP or TLS), kept while there is none. */
class StreamSender {
  private conn: Connection | null = null;
  private lastAttempt = -Infinity;
  private readonly queue: Buffer[] = [];
  private said = false;

  constructor(
    private readonly open: () => Connection,
    private readonly label: string,
    private readonly now: () => number,
  ) {}

  /** null when connected, else why not. */
  connect(): string | null {
    this.lastAttempt = this.now();
    try {
      this.conn = this.open();
      return null;
    } catch (err) {
      return (err as Error).message;
    }
  }

  /** Waits (bounded) until the server has acknowledged every line sent: a reboot would lose the rest. */
  flush(): void {
    this.conn?.waitAcknowledged(TCP_TIMEOUT_MS);
  }

  send(message: Buffer): void {
    // RFC 6587 octet counting (RFC 5425's only framing): the length, a space, the message.
    this.queue.push(Buffer.concat([Buffer.from(`${message.length} `), message]));
    if (this.queue.length > TCP_QUEUE) this.queue.shift();
    if (!this.conn && this.now() - this.lastAttempt < TCP_RETRY_MS) return;
    if (!this.conn && this.connect() !== null) return;
    try {
      while (this.queue.length > 0) {
        this.conn!.send(this.queue[0]);
        this.queue.shift();
      }
      this.said = false;
    } catch (err) {
      this.conn?.close();
      this.conn = null;
      // On the console only: a line about the sink would come back to the sink.
      if (!this.said) logLocal("warn", `${this.label}: ${(err as Error).message}; lines kept and sent when it answers again`);
      this.said = true;
    }
  }
}
