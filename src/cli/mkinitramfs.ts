// `tarboot mkinitramfs`: option parsing and the summary; the work is src/initramfs/build.ts.
import { existsSync } from "node:fs";
import { parseArgs } from "node:util";
import { describeError } from "../console/errors";
import { formatBytes } from "../console/units";
import { COMPRESSIONS, checkLevel, isCompression } from "../initramfs/compress";
import { parseSetting } from "../initramfs/conf";
import { DEFAULT_FIRMWARE_DIR, type MkinitramfsOptions, buildInitramfs, defaultModulesDir, parseAddSpec } from "../initramfs/build";
import { parseNetDrivers } from "../initramfs/modules";

export const DEFAULT_INIT = "build/out/init";
export const DEFAULT_OUTPUT = "build/out/initramfs.img";

const USAGE = `usage: tarboot mkinitramfs [options]

Builds an initramfs with the tarboot init, the libraries it needs, NIC driver modules and the
boot defaults given with --set. No root needed; the same inputs give the same bytes
(timestamps from SOURCE_DATE_EPOCH, else 0).

options:
  --init FILE             the init executable (default ${DEFAULT_INIT})
  -o, --output FILE       the image to write (default ${DEFAULT_OUTPUT})
  --kernel-modules DIR    module tree of the kernel to boot (default /lib/modules/$(uname -r));
                          'none' for no modules (NIC drivers built into the kernel)
  --net-drivers LIST      comma-separated modules; 'default' is the common NICs (virtio, e1000,
                          Intel, Broadcom, Mellanox, cloud NICs, ...), 8021q, bonding and
                          bridge for vlan=, bond= and bridge=, 'all' every Ethernet driver,
                          'host' the drivers this machine's interfaces use;
                          e.g. default,cxgb4 or host,8021q
                          (default: default)
  --module-compression K  zstd: store uncompressed .ko files as .ko.zst, which the init (or a
                          kernel with CONFIG_MODULE_DECOMPRESS) decompresses when it loads one, so
                          the kernel does not unpack every driver at boot; none: copy them as
                          they are (default zstd)
  --firmware DIR          where the firmware the carried modules ask for (modinfo firmware=) is
                          taken from, as the kernel looks for it there; 'none' for none
                          (default /lib/firmware)
  --busybox FILE          a static busybox for the rescue shell (break=, failures)
  --ca FILE               CA bundle (PEM) for https roots, sets tarboot.ca
  --key FILE              an Ed25519 public key (PEM) that signs layer manifests (repeatable):
                          with one, every layer must have a valid URL.manifest (tarboot manifest
                          sign), checked chunk by chunk before it is unpacked
  --set KEY=VALUE         a boot default in /etc/tarboot.conf; the kernel command line overrides it
                          (repeatable), e.g. --set root=http://srv/base.tar.zst
  --add HOST:PATH         add a host file or directory at PATH (repeatable)
  --hooks DIR             site hooks from DIR/top, DIR/premount, DIR/bottom
  --needs FILE            an ELF file the init loads at run time: include its libraries (repeatable)
  --compress KIND         ${COMPRESSIONS.join(", ")} (default zstd)
  --level N               compression level: zstd 1-19 (default 19), xz 0-9 (6), gzip 1-9 (9);
                          lower builds faster and bigger
  -h, --help              this text
`;

function fail(message: string, code: number): number {
  process.stderr.write(`tarboot mkinitramfs: ${message}\n`);
  return code;
}

/** Checks everything that needs no file system, so a typo fails in a second, not after a build. */
export function optionsFromArgv(argv: string[]): MkinitramfsOptions | { help: true } {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      init: { type: "string", default: DEFAULT_INIT },
      output: { type: "string", short: "o", default: DEFAULT_OUTPUT },
      "kernel-modules": { type: "string" },
      "net-drivers": { type: "string" },
      "module-compression": { type: "string", default: "zstd" },
      firmware: { type: "string" },
      busybox: { type: "string" },
      ca: { type: "string" },
      key: { type: "string", multiple: true, default: [] },
      add: { type: "string", multiple: true, default: [] },
      set: { type: "string", multiple: true, default: [] },
      hooks: { type: "string" },
      needs: { type: "string", multiple: true, default: [] },
      compress: { type: "string", default: "zstd" },
      level: { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) return { help: true };
  if (positionals.length > 0) throw new Error(`unexpected argument '${positionals[0]}' (options only)`);
  if (!isCompression(values.compress)) throw new Error(`--compress ${values.compress}: expected one of ${COMPRESSIONS.join(", ")}`);
  let level: number | undefined;
  if (values.level !== undefined) {
    if (!/^\d+$/.test(values.level)) throw new Error(`--level ${values.level}: expected a whole number`);
    level = Number(values.level);
    try {
      checkLevel(values.compress, level);
    } catch (err) {
      throw new Error(`--level ${(err as Error).message}`);
    }
  }
  for (const s of values.set) parseSetting(s);
  for (const a of values.add) parseAddSpec(a);
  parseNetDrivers(values["net-drivers"]);
  const moduleCompression = values["module-compression"];
  if (moduleCompression !== "zstd" && moduleCompression !== "none") {
    throw new Error(`--module-compression ${moduleCompression}: expected zstd or none`);
  }
  const km = values["kernel-modules"];
  return {
    init: values.init,
    output: values.output,
    kernelModules: km === "none" ? false : km,
    netDrivers: values["net-drivers"],
    moduleCompression,
    firmware: values.firmware === "none" ? false : values.firmware,
    busybox: values.busybox,
    ca: values.ca,
    keys: values.key,
    add: values.add,
    set: values.set,
    hooks: values.hooks,
    needs: values.needs,
    compress: values.compress,
    level,
  };
}

export async function mkinitramfsCommand(argv: string[]): Promise<number> {
  let opts;
  try {
    opts = optionsFromArgv(argv);
  } catch (err) {
    return fail(`${describeError(err)}\n(tarboot mkinitramfs --help for the options)`, 2);
  }
  if ("help" in opts) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (!existsSync(opts.init)) {
    const hint = opts.init === DEFAULT_INIT ? " (build it first with `npm run build`, or give --init FILE)" : "";
    return fail(`--init ${opts.init}: no such file${hint}`, 1);
  }
  if (opts.kernelModules === undefined && !existsSync(defaultModulesDir())) {
    return fail(`--kernel-modules: this host has no ${defaultModulesDir()}; give the module tree of the kernel you will boot (--kernel-modules /lib/modules/VERSION), or 'none'`, 1);
  }
  let r;
  try {
    r = await buildInitramfs(opts);
  } catch (err) {
    return fail(describeError(err), 1);
  }
  const mods = r.kernelVersion === undefined ? "none" : `${r.modules.length} for ${r.kernelVersion}${r.modules.length > 0 ? ` (${r.modules.join(", ")})` : ""}`;
  const lines = [
    `wrote ${r.path}`,
    `  files:       ${r.files.length}`,
    `  unpacked:    ${formatBytes(r.unpackedBytes)}`,
    `  compressed:  ${formatBytes(r.compressedBytes)} (${opts.compress ?? "zstd"})`,
    `  libraries:   ${r.libraries.length}`,
    `  modules:     ${mods}`,
  ];
  if (r.builtinDrivers.length > 0) lines.push(`  built in:    ${r.builtinDrivers.join(", ")}`);
  if (r.kernelVersion !== undefined && opts.firmware !== false) lines.push(`  firmware:    ${firmwareSummary(r.firmware.length, r.missingFirmware, opts.firmware ?? DEFAULT_FIRMWARE_DIR)}`);
  process.stdout.write(`${lines.join("\n")}\n`);
  return 0;
}

/**
 * "3 files; not in /lib/firmware: bnx2 (5), tg3 (4)": per module, not per file, so that the
 * default driver set on a host without firmware packages gives one line, not sixty.
 */
export function firmwareSummary(included: number, missing: ReadonlyMap<string, readonly string[]>, dir: string): string {
  const files = `${included} file${included === 1 ? "" : "s"}`;
  if (missing.size === 0) return files;
  const list = [...missing].map(([module, names]) => `${module} (${names.length})`).join(", ");
  return `${files}; not in ${dir}, so those NICs may not come up: ${list} (install the firmware packages, or --firmware DIR)`;
}
