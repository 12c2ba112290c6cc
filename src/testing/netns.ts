// Network namespaces for tests that need a real link: a "server" namespace and a "client"
// namespace joined by veth pairs, created with iproute2 and always torn down, even on failure.
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";

export function ip(args: string[], ns?: string): string {
  return execFileSync("ip", ns ? ["-n", ns, ...args] : args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], timeout: 10_000 });
}

export interface VethLink {
  /** Interface name in the server namespace. */
  serverIf: string;
  /** Interface name in the client namespace. */
  clientIf: string;
  clientMac: string;
}

export interface NetnsPair {
  server: string;
  client: string;
  links: VethLink[];
  /** Adds another veth pair between the namespaces; the server side gets `serverAddress/24` when given. */
  addLink(serverAddress?: string): VethLink;
  destroy(): void;
}

const live = new Set<NetnsPair>();
process.once("exit", () => {
  for (const p of live) p.destroy();
});

/** Two fresh namespaces with loopback up and one veth pair; the server end has `serverAddress/24`. */
export function createNetnsPair(serverAddress: string): NetnsPair {
  const tag = randomBytes(3).toString("hex");
  const server = `tbs-${tag}`;
  const client = `tbc-${tag}`;
  const links: VethLink[] = [];
  let destroyed = false;
  const pair: NetnsPair = {
    server,
    client,
    links,
    addLink(addr?: string) {
      const n = links.length;
      const serverIf = `vs${n}-${tag}`;
      const clientIf = `vc${n}-${tag}`;
      // Created in the client namespace directly: the client must never see it appear under another name.
      ip(["link", "add", serverIf, "netns", server, "type", "veth", "peer", "name", clientIf, "netns", client]);
      ip(["link", "set", serverIf, "up"], server);
      if (addr) ip(["addr", "add", `${addr}/24`, "dev", serverIf], server);
      const clientMac = JSON.parse(ip(["-j", "link", "show", clientIf], client))[0].address as string;
      const link = { serverIf, clientIf, clientMac };
      links.push(link);
      return link;
    },
    destroy() {
      if (destroyed) return;
      destroyed = true;
      live.delete(pair);
      for (const ns of [client, server]) {
        try {
          ip(["netns", "del", ns]);
        } catch {
          // Already gone.
        }
      }
    },
  };
  live.add(pair);
  try {
    ip(["netns", "add", server]);
    ip(["netns", "add", client]);
    ip(["link", "set", "lo", "up"], server);
    pair.addLink(serverAddress);
  } catch (err) {
    pair.destroy();
    throw err;
  }
  return pair;
}

/** Starts `cmd` inside namespace `ns`. */
export function spawnInNetns(ns: string, cmd: string, args: string[], env?: NodeJS.ProcessEnv): ChildProcess {
  return spawn("ip", ["netns", "exec", ns, cmd, ...args], { stdio: ["ignore", "pipe", "pipe"], env: env ?? process.env });
}

export function stopProcess(child: ChildProcess, timeoutMs = 3000): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill("SIGTERM");
  });
}
