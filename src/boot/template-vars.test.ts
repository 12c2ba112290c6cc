import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import type { BootConfig } from "../cmdline/types";
import type { Lease } from "../net/lease";
import { templateVars } from "./template-vars";

const lease: Lease = {
  source: "dhcp", iface: "eth0", mac: "52:54:00:AB:cd:01", address: "10.0.2.15", prefix: 24, netmask: "255.255.255.0",
  dns: ["10.0.2.3"], search: [], ntp: [], hostname: "node7", domain: "cluster.test",
};

describe("templateVars", () => {
  it("takes host name, domain, MAC and address from the lease", () => {
    const v = templateVars({} as BootConfig, lease, "x64", "6.1.0-41-amd64", () => "4c4c4544-0035-3010-8030-b4c04f4e3732");
    expect(v).toEqual({
      hostname: "node7",
      fqdn: "node7.cluster.test",
      mac: "52-54-00-ab-cd-01",
      ip: "10.0.2.15",
      arch: "amd64",
      kernel: "6.1.0-41-amd64",
      uuid: "4c4c4544-0035-3010-8030-b4c04f4e3732",
    });
  });

  it("lets hostname= win, and splits an FQDN given there", () => {
    const v = templateVars({ hostname: "db1.site.example" } as BootConfig, lease, "arm64");
    expect(v.hostname).toBe("db1");
    expect(v.fqdn).toBe("db1.site.example");
    expect(v.arch).toBe("arm64");
  });

  it("leaves what is unknown undefined, so expansion can name it", () => {
    const v = templateVars({} as BootConfig, null, "x64");
    expect(v.hostname).toBeUndefined();
    expect(v.mac).toBeUndefined();
    expect(v.ip).toBeUndefined();
  });

  it("takes the running kernel's release by default, as uname -r prints it", () => {
    expect(templateVars({} as BootConfig, null).kernel).toBe(execFileSync("uname", ["-r"], { encoding: "utf8" }).trim());
  });
});
