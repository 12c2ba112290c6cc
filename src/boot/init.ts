// The boot, in initramfs-tools' stage order: top, (network), premount, mount, bottom, init.
// Each stage is timed into the timeline the booted system finds in /run/tarboot/boot.json.
import type { BootConfig, Stage } from "../cmdline/types";
import { BootError } from "../console/errors";
import { configureLog, debug, info, log, transcriptText, warn } from "../console/log";
import { loadModuleByName } from "../modules/by-name";
import { bondParam } from "../net/bond";
import { bridgeParam } from "../net/bridge";
import { loadNetworkDrivers } from "../modules/coldplug";
import { type NetworkSession, bringUpNetwork } from "../net";
import type { Lease } from "../net/lease";
import { leaseEnv, runHooks } from "../root/hooks";
import { fstabInRoot } from "../root/fstab-check";
import { modulesInRoot, modulesMessage } from "../root/kernel-modules";
import { writeMachineId } from "../root/machine-id";
import { mountRoot, wipeRoot } from "../root/tmpfs";
import { switchRoot } from "../root/switch-root";
import { Timeline, monotonicMs, writeConsoleLog, writeTimeline } from "../root/timeline";
import { writeIdentity } from "../root/write-identity";
import { readBootConfig, readPanicOnly } from "./config";
import { useLease } from "./after-lease";
import { earlyMounts } from "./early";
import { startupMarks } from "./started";
import { hasRescueShell, rescueShell } from "./rescue";
import { release } from "node:os";

export const NEW_ROOT = "/root";

// The fetch and unpack modules cost time to evaluate under emulation. They are loaded while the network stage waits for links and DHCP, not at start-up.
let layersModule: Promise<typeof import("./layers")> | undefined;
/** Console lines for fstab problems; the rest go to boot.json only. */
const MAX_FSTAB_LINES = 4;
const loadLayers = () => (layersModule ??= import("./layers"));

/** Options the failure path needs even when the command line could not be parsed. */
export const bootState: { panic: number } = { panic: 30 };

async function maybeBreak(cfg: BootConfig, stage: Stage): Promise<void> {
  if (!cfg.breakAt.includes(stage)) return;
  if (!hasRescueShell()) {
    warn(`break=${stage}: no rescue shell in the initramfs (build it with --busybox); going on`);
    return;
  }
  info(`break=${stage}: rescue shell; leave it with 'exit' to go on with the boot`);
  await rescueShell();
}

export async function boot(kernelArgs: string[], kernelEnv: NodeJS.ProcessEnv): Promise<never> {
  const timeline = new Timeline();
  timeline.addFacts({ startup: startupMarks(monotonicMs()) });
  earlyMounts();
  let cfg: BootConfig;
  try {
    cfg = readBootConfig(kernelArgs);
  } catch (err) {
    bootState.panic = readPanicOnly() ?? bootState.panic;
    throw err;
  }
  bootState.panic = cfg.panic;
  configureLog({ quiet: cfg.quiet, debug: cfg.debug });
  if (cfg.layers.length === 0 && !cfg.rootFromDhcp)
    throw new BootError("cmdline", "no root=http(s)://... on the kernel command line: tarboot has nothing to boot");
  if (cfg.rootFromDhcp) info("booting the root the DHCP server names (root=dhcp)");
  else info(`booting ${cfg.layers.length} layer(s): ${cfg.layers.map((l) => l.raw).join(", ")}`);

  let network: NetworkSession | null = null;
  // Read at the time of use: a NAK or an expiry during a long download can change the address.
  const lease = (): Lease | null => network?.lease ?? null;
  // The host name may still be coming from reverse DNS: whatever shows it waits for it.
  const named = async (): Promise<void> => {
    await network?.named;
  };
  const env = async (): Promise<Record<string, string>> => {
    await named();
    return { ...leaseEnv(lease(), cfg), TARBOOT_ROOT: NEW_ROOT };
  };

  await timeline.run("top", async () => {
    await maybeBreak(cfg, "top");
    await runHooks("top", env);
  });

  network = await timeline.run("network", async () => {
    setTimeout(loadLayers, 0);
    if (cfg.ip.mode !== "off") {
      const modulesDir = `/lib/modules/${release()}`;
      const loaded = await loadNetworkDrivers({ modulesDir });
      if (loaded.length === 0) debug("no network driver modules loaded (built in, or none needed)");
      // max_bonds=0: the driver would make an unused bond0 of its own, which the booted system would find.
      if (cfg.bond) await loadModuleByName("bonding", bondParam(cfg.bond), { modulesDir, params: "max_bonds=0" });
      if (cfg.vlan) await loadModuleByName("8021q", `vlan=${cfg.vlan.name}:${cfg.vlan.parent}`, { modulesDir });
      if (cfg.bridge) await loadModuleByName("bridge", bridgeParam(cfg.bridge), { modulesDir });
    }
    const session = await bringUpNetwork(cfg, {
      netWaitMs: cfg.netWait * 1000,
      dhcpTimeoutMs: cfg.dhcpTimeout * 1000,
      arpCheckMs: cfg.arpCheck,
      resolvConf: "/etc/resolv.conf",
      setHostname: true,
    });
    await useLease(cfg, session, timeline);
    return session;
  });

  await timeline.run("premount", async () => {
    await maybeBreak(cfg, "premount");
    await runHooks("premount", env);
  });

  await timeline.run("mount", async () => {
    await maybeBreak(cfg, "mount");
    mountRoot(NEW_ROOT, cfg);
    if (cfg.layers.some((l) => l.urls.some((u) => /%\{?(hostname|fqdn)/.test(u)))) await named();
    try {
      const { unpackLayers } = await loadLayers();
      const layers = await unpackLayers(cfg, lease(), NEW_ROOT);
      timeline.addFacts({ layers });
      return { bytes: layers.reduce((a, l) => a + l.bytes, 0) };
    } catch (err) {
      // A root that failed a layer (checksum, truncation, ENOSPC) must never be booted.
      wipeRoot(NEW_ROOT);
      throw err;
    }
  });

  await timeline.run("bottom", async () => {
    await maybeBreak(cfg, "bottom");
    await named();
    writeIdentity(NEW_ROOT, lease(), cfg, "/run");
    const machineId = writeMachineId(NEW_ROOT, cfg.machineId, lease());
    if (machineId !== null) timeline.addFacts({ machineId: { from: cfg.machineId, id: machineId } });
    await runHooks("bottom", env);
    // After the hooks: one may have put the modules in.
    const modules = modulesInRoot(NEW_ROOT, release());
    timeline.addFacts({ kernelModules: { release: release(), ...modules } });
    const said = modulesMessage(modules, release());
    if (said) log(said.level, said.text);
    const fstab = fstabInRoot(NEW_ROOT);
    if (fstab.length > 0) {
      timeline.addFacts({ fstab });
      for (const p of fstab.slice(0, MAX_FSTAB_LINES)) warn(`the new root's /etc/fstab line ${p.line}: ${p.problem}`);
      if (fstab.length > MAX_FSTAB_LINES) warn(`the new root's /etc/fstab: ${fstab.length - MAX_FSTAB_LINES} more such line(s), listed in /run/tarboot/boot.json`);
    }
  });

  info(timeline.summary());
  await maybeBreak(cfg, "init");
  // The booted system takes the address over (ifupdown reads /run/net-IFACE.conf); ours stops renewing.
  await network.stop();
  const writeRecords = () => {
    writeTimeline(timeline, "/run");
    writeConsoleLog("/run", transcriptText());
  };
  return switchRoot({ newRoot: NEW_ROOT, init: cfg.init, args: cfg.initArgs, env: kernelEnv, timeline, writeTimeline: writeRecords });
}
