// A site's own network for a QEMU guest: a network namespace with a tap (the guest's NIC, once
// QEMU opens it inside the namespace) holding the site's address, and busybox httpd serving a
// directory on it. DHCP and the rest are each test's own.
import { randomBytes } from "node:crypto";
import type { ChildProcess } from "node:child_process";
import { ip, spawnInNetns, stopProcess } from "../../src/testing/netns";

export interface SiteTap {
  ns: string;
  /** For BootOptions.tap. */
  tap: { netns: string; ifname: string };
  close(): Promise<void>;
}

/** `address` with its prefix length, IPv4 or IPv6; httpd listens on port 8080 of it. */
export function startSiteTap(address: string, prefix: number, serveDir: string): SiteTap {
  const ns = `tbq-${randomBytes(3).toString("hex")}`;
  ip(["netns", "add", ns]);
  let httpd: ChildProcess | undefined;
  try {
    ip(["link", "set", "lo", "up"], ns);
    ip(["tuntap", "add", "tap0", "mode", "tap"], ns);
    const v6 = address.includes(":");
    // nodad: the tap has no carrier until QEMU opens it, and httpd must bind before that.
    ip(["addr", "add", `${address}/${prefix}`, "dev", "tap0", ...(v6 ? ["nodad"] : [])], ns);
    ip(["link", "set", "tap0", "up"], ns);
    httpd = spawnInNetns(ns, "busybox", ["httpd", "-f", "-p", `${v6 ? `[${address}]` : address}:8080`, "-h", serveDir]);
  } catch (err) {
    ip(["netns", "del", ns]);
    throw err;
  }
  return {
    ns,
    tap: { netns: ns, ifname: "tap0" },
    close: async () => {
      if (httpd) await stopProcess(httpd);
      ip(["netns", "del", ns]);
    },
  };
}
