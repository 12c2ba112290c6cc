import type { BootConfig, TemplateVars } from "../cmdline/types";
import { release } from "node:os";
import type { Lease } from "../net/lease";
import { systemUuid } from "../root/machine-id";

const DEBIAN_ARCH: Record<string, string> = { x64: "amd64", arm64: "arm64", arm: "armhf", ia32: "i386", riscv64: "riscv64", ppc64: "ppc64el", s390x: "s390x" };

/** What `%hostname`, `%fqdn`, `%mac`, `%ip`, `%arch`, `%kernel` and `%uuid` stand for on this machine, this boot. */
export function templateVars(cfg: BootConfig, lease: Lease | null, arch = process.arch, kernel = release(), uuid: () => string | undefined = systemUuid): TemplateVars {
  const name = cfg.hostname ?? lease?.hostname;
  const short = name?.split(".")[0];
  const fqdn = name?.includes(".") ? name : name && lease?.domain ? `${name}.${lease.domain}` : name;
  return {
    hostname: short,
    fqdn,
    mac: lease?.mac.toLowerCase().replaceAll(":", "-"),
    ip: lease?.address,
    arch: DEBIAN_ARCH[arch] ?? arch,
    kernel,
    uuid: uuid(),
  };
}
