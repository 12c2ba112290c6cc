// Entry point bundled for network tests: runs the real bringUpNetwork inside a network
// namespace, the way PID 1 does, and reports the outcome as JSON lines on stdout.
//   argv[2]: JSON DriverRequest
import { hostname as osHostname } from "node:os";
import { defaultBootConfig } from "../cmdline";
import type { BootConfig } from "../cmdline/types";
import { configureLog } from "../console/log";
import { bringUpNetwork, type NetworkOptions } from "../net/index";

export interface DriverRequest {
  cfg: Partial<BootConfig>;
  opts: NetworkOptions;
  /** Event types to wait for (in any order, each once) after the lease, before stopping. */
  waitFor?: string[];
}

export type DriverLine =
  | { kind: "lease"; lease: unknown; hostname?: string; osHostname: string }
  | { kind: "event"; event: { type: string; lease?: unknown; previous?: unknown; server?: string; message?: string; address?: string; error?: string } }
  | { kind: "error"; name: string; stage?: string; message: string }
  | { kind: "stopped" };

function emit(line: DriverLine): void {
  process.stdout.write(`${JSON.stringify(line)}\n`);
}


async function main(): Promise<void> {
  const req = JSON.parse(process.argv[2] ?? "{}") as DriverRequest;
  const cfg: BootConfig = { ...defaultBootConfig(), ...req.cfg };
  configureLog({ debug: cfg.debug });
  let session;
  try {
    session = await bringUpNetwork(cfg, req.opts);
  } catch (err) {
    const e = err as Error & { stage?: string };
    emit({ kind: "error", name: e.name, stage: e.stage, message: e.message });
    process.exitCode = 2;
    return;
  }
  const pending = new Set(req.waitFor ?? []);
  const done = () => {
    void session.stop().then(() => emit({ kind: "stopped" }));
  };
  session.on((e) => {
    emit({
      kind: "event",
      event: {
        type: e.type,
        lease: "lease" in e ? e.lease : undefined,
        previous: "previous" in e ? e.previous : undefined,
        server: "server" in e ? e.server : undefined,
        message: "message" in e ? e.message : undefined,
        address: "address" in e ? e.address : undefined,
        error: e.type === "error" ? e.error.message : undefined,
      },
    });
    pending.delete(e.type);
    if (pending.size === 0) done();
  });
  // As the boot does before it uses the name: a reverse-DNS one may still be on its way.
  await session.named;
  emit({ kind: "lease", lease: session.lease, hostname: session.hostname, osHostname: osHostname() });
  if (pending.size === 0) done();
  // Nothing else keeps the process alive: it exits by itself once stop() has cleared every timer.
}

void main();
