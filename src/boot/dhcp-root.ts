// root=dhcp: the layers come from the DHCP server's root path (option 17), as dracut's root=dhcp
// takes an NFS path from it: one PXE configuration for every node, each node's root named by the
// DHCP server. The value has root='s grammar (layers, alternatives, #sha256=, templates, names
// relative to tarboot.mirrors=).
import type { Layer } from "../cmdline/types";
import { Invalid } from "../cmdline/errors";
import { parseLayers } from "../cmdline/layers";
import { BootError } from "../console/errors";
import type { Lease } from "../net/lease";

export function layersFromLease(lease: Lease | null, mirrors: readonly string[]): Layer[] {
  const server = lease?.serverId ? ` (${lease.serverId})` : "";
  if (!lease?.rootPath) {
    throw new BootError(
      "network",
      `root=dhcp: the DHCP server${server} sent no root path (option 17); give it one (dnsmasq: dhcp-option=17,"http://srv/base.tar.zst"), or put root= on the command line`,
    );
  }
  try {
    return parseLayers(lease.rootPath, mirrors);
  } catch (err) {
    if (!(err instanceof Invalid)) throw err;
    throw new BootError("network", `root=dhcp: the root path from the DHCP server${server}, ${JSON.stringify(lease.rootPath)}: ${err.message}`);
  }
}
