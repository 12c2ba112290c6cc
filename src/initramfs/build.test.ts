import { execFileSync, spawnSync } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type InitramfsResult, buildInitramfs, parseAddSpec } from "./build";
import { type DebianKernel, ensureDebianKernel } from "./debian-kernel";
import { manifestKeyId } from "../fetch/manifest";
import { readTrustedKeys } from "../fetch/trusted-keys";

const repo = fileURLToPath(new URL("../../", import.meta.url));
const KERNEL_CACHE = join(repo, "build/cache/kernel");
const KOFFI = join(repo, "node_modules/koffi/build/koffi/linux_x64/koffi.node");
const isRoot = process.getuid?.() === 0;

const tmp = mkdtempSync(join(tmpdir(), "tarboot-mkinitramfs-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

// A stand-in for the init: a real dynamically linked program, so the library closure is exercised.
const fakeInit = join(tmp, "init");
copyFileSync("/bin/ls", fakeInit);
chmodSync(fakeInit, 0o755);

function decompressCmd(path: string): string {
  if (path.endsWith(".xz")) return `xz -dc '${path}'`;
  if (path.endsWith(".gz")) return `gzip -dc '${path}'`;
  return `zstd -dc '${path}'`;
}

/** `cpio -itv` of a compressed image, through the standard decompressor. */
function listing(path: string): string {
  return execFileSync("sh", ["-c", `${decompressCmd(path)} | cpio -itv --quiet`], { encoding: "utf8", maxBuffer: 64 << 20 });
}

function extract(path: string, dest: string): void {
  mkdirSync(dest, { recursive: true });
  execFileSync("sh", ["-c", `${decompressCmd(path)} | cpio -idm --quiet --no-absolute-filenames`], { cwd: dest });
}

describe("mkinitramfs with a real Debian kernel's modules", () => {
  let kernel: DebianKernel;
  let first: InitramfsResult;
  beforeAll(async () => {
    kernel = await ensureDebianKernel(KERNEL_CACHE);
    first = await buildInitramfs({
      init: fakeInit, output: join(tmp, "a.img"), kernelModules: kernel.modulesDir, needs: [KOFFI],
      set: ["root=http://srv/base.tar.zst"],
    });
  }, 600_000);

  it("is reproducible: a second build is the same bytes", async () => {
    const second = await buildInitramfs({
      init: fakeInit, output: join(tmp, "b.img"), kernelModules: kernel.modulesDir, needs: [KOFFI],
      set: ["root=http://srv/base.tar.zst"],
    });
    expect(second.compressedBytes).toBe(first.compressedBytes);
    expect(readFileSync(second.path).equals(readFileSync(first.path))).toBe(true);
    // The default driver set stays small: measured 6.1.0-56-amd64, 81 modules, ~4.4 MiB of the image.
    expect(first.compressedBytes).toBeLessThan(8 << 20);
  }, 300_000);

  it("holds the init, device nodes, libraries, the virtio_net closure and its index files", () => {
    const list = listing(first.path);
    expect(list).toMatch(/^crw------- +1 root +root +5, +1 .* dev\/console$/m);
    expect(list).toMatch(/^crw-rw-rw- +1 root +root +1, +3 .* dev\/null$/m);
    expect(list).toMatch(/^-rwxr-xr-x +1 root +root .* init$/m);
    expect(list).toMatch(/^drwxrwxrwt .* tmp$/m);
    const names = list.split("\n").map((l) => l.split(" ").pop());
    // libzstd, liblzma, libbz2: opened by name at run time (src/sys/dlopened.ts), listed by no ELF header.
    for (const p of ["lib64/ld-linux-x86-64.so.2", "lib/x86_64-linux-gnu/libc.so.6", "lib/x86_64-linux-gnu/libstdc++.so.6",
      "lib/x86_64-linux-gnu/libzstd.so.1", "lib/x86_64-linux-gnu/liblzma.so.5", "lib/x86_64-linux-gnu/libbz2.so.1.0", "etc/tarboot.conf"]) {
      expect(names).toContain(p);
    }
    const base = `lib/modules/${kernel.version}`;
    for (const m of ["drivers/net/virtio_net", "drivers/net/net_failover", "net/core/failover", "drivers/virtio/virtio", "drivers/virtio/virtio_ring",
      "drivers/virtio/virtio_pci", "drivers/virtio/virtio_pci_modern_dev", "drivers/virtio/virtio_pci_legacy_dev", "drivers/net/ethernet/intel/e1000/e1000"]) {
      expect(names).toContain(`${base}/kernel/${m}.ko.zst`);
    }
    for (const f of ["modules.dep", "modules.alias", "modules.softdep", "modules.builtin", "modules.builtin.modinfo"]) expect(names).toContain(`${base}/${f}`);
    expect(names).not.toContain(join(base, "modules.symbols"));
    expect(names.some((n) => n?.includes("koffi"))).toBe(false);
    expect(first.files).toContain("/dev/console");
    expect(first.modules).toContain("virtio_net");
    expect(first.kernelVersion).toBe(kernel.version);
  });

  it("unpacks to a tree where the init runs with only the libraries it carries", () => {
    if (!isRoot) return;
    const root = join(tmp, "x-a");
    extract(first.path, root);
    expect(readFileSync(join(root, "init")).equals(readFileSync("/bin/ls"))).toBe(true);
    expect(readFileSync(join(root, "etc/tarboot.conf"), "utf8")).toContain("\nroot=http://srv/base.tar.zst\n");
    const dep = readFileSync(join(root, `lib/modules/${kernel.version}/modules.dep`), "utf8");
    expect(dep).toMatch(/^kernel\/drivers\/net\/virtio_net\.ko\.zst: .*kernel\/drivers\/net\/net_failover\.ko\.zst/m);
    // Stored compressed, checksummed, and the same module once decompressed.
    const stored = join(root, `lib/modules/${kernel.version}/kernel/drivers/net/virtio_net.ko.zst`);
    expect(execFileSync("zstd", ["-dc", stored]).equals(readFileSync(join(kernel.modulesDir, "kernel/drivers/net/virtio_net.ko")))).toBe(true);
    expect(execFileSync("zstd", ["-lv", stored], { encoding: "utf8" })).toMatch(/Check: XXH64/);
    const run = spawnSync("/usr/sbin/chroot", [root, "/init", "/lib/x86_64-linux-gnu"], { encoding: "utf8", env: {} });
    expect(run.stderr).toBe("");
    expect(run.stdout).toContain("libstdc++.so.6");
  });
});

describe("mkinitramfs options", () => {
  it("busybox, hooks, CA, extra files, --set, xz with CRC32", async () => {
    const hooks = join(tmp, "hooks");
    mkdirSync(join(hooks, "top"), { recursive: true });
    mkdirSync(join(hooks, "bottom"), { recursive: true });
    writeFileSync(join(hooks, "top", "10-hello"), "#!/bin/sh\necho hello\n", { mode: 0o644 });
    writeFileSync(join(hooks, "bottom", "99-bye"), "#!/bin/sh\necho bye\n");
    const ca = join(tmp, "ca.pem");
    writeFileSync(ca, "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n");
    const extra = join(tmp, "extra");
    mkdirSync(join(extra, "sub"), { recursive: true });
    writeFileSync(join(extra, "sub", "fw.bin"), "firmware", { mode: 0o600 });
    symlinkSync("sub/fw.bin", join(extra, "link"));
    const r = await buildInitramfs({
      init: fakeInit, output: join(tmp, "opts.img.xz"), kernelModules: false, busybox: "/bin/busybox", hooks, ca,
      add: [`${extra}:/lib/firmware/site`, `${ca}:/etc/site.pem`], set: ["tarboot.retries=3", "motd=hello world"], compress: "xz",
    });
    expect(r.modules).toEqual([]);
    expect(r.kernelVersion).toBeUndefined();
    expect(execFileSync("xz", ["--robot", "-lvv", r.path], { encoding: "utf8" })).toMatch(/^file\t1\t\d+\t\d+\t\d+\t[\d.]+\tCRC32\t/m);
    const list = listing(r.path);
    expect(list).toMatch(/^lrwxrwxrwx .* bin\/sh -> busybox$/m);
    expect(list).toMatch(/^lrwxrwxrwx .* bin\/ip -> busybox$/m);
    expect(list).toMatch(/^-rwxr-xr-x .* scripts\/tarboot-top\/10-hello$/m);
    expect(list).toMatch(/^-rwxr-xr-x .* scripts\/tarboot-bottom\/99-bye$/m);
    expect(list).not.toMatch(/tarboot-premount/);
    expect(list).toMatch(/^-rw------- .* lib\/firmware\/site\/sub\/fw\.bin$/m);
    expect(list).toMatch(/^lrwxrwxrwx .* lib\/firmware\/site\/link -> sub\/fw\.bin$/m);
    expect(list).toMatch(/^-rw-r--r-- .* etc\/ssl\/certs\/tarboot-ca\.pem$/m);
    expect(list).toMatch(/^-rwxr-xr-x .* bin\/busybox$/m);
    if (!isRoot) return;
    const root = join(tmp, "x-opts");
    extract(r.path, root);
    expect(readFileSync(join(root, "etc/tarboot.conf"), "utf8")).toBe(
      "# Boot defaults from tarboot mkinitramfs --set; the kernel command line overrides them.\n" +
        "tarboot.ca=/etc/ssl/certs/tarboot-ca.pem\ntarboot.retries=3\nmotd=\"hello world\"\n",
    );
    const sh = spawnSync("/usr/sbin/chroot", [root, "/bin/sh", "-c", "echo ok; /scripts/tarboot-top/10-hello"], { encoding: "utf8", env: {} });
    expect(sh.stdout).toBe("ok\nhello\n");
  }, 120_000);

  it("--key: trusted manifest keys under their key ids; only Ed25519 public keys", async () => {
    const { publicKey } = generateKeyPairSync("ed25519");
    const pub = join(tmp, "site.pub");
    writeFileSync(pub, publicKey.export({ format: "pem", type: "spki" }));
    const r = await buildInitramfs({ init: fakeInit, output: join(tmp, "keys.img"), kernelModules: false, keys: [pub] });
    const id = manifestKeyId(publicKey);
    expect(listing(r.path)).toMatch(new RegExp(`^-rw-r--r-- .* etc/tarboot/keys/${id}\\.pub$`, "m"));
    const dest = join(tmp, "x-keys");
    extract(r.path, dest);
    // What the init reads back is the key that was given.
    expect(readTrustedKeys(join(dest, "etc/tarboot/keys")).map((k) => k.id)).toEqual([id]);

    const out = join(tmp, "bad-key.img");
    const rsa = join(tmp, "rsa.pub");
    writeFileSync(rsa, generateKeyPairSync("rsa", { modulusLength: 1024 }).publicKey.export({ format: "pem", type: "spki" }));
    await expect(buildInitramfs({ init: fakeInit, output: out, kernelModules: false, keys: [rsa] })).rejects.toThrow(`--key ${rsa}: a rsa key; manifests are signed with Ed25519 keys only`);
    await expect(buildInitramfs({ init: fakeInit, output: out, kernelModules: false, keys: ["/etc/hostname"] })).rejects.toThrow(/--key \/etc\/hostname: not a PEM public key/);
    await expect(buildInitramfs({ init: fakeInit, output: out, kernelModules: false, keys: [join(tmp, "none.pub")] })).rejects.toThrow(/--key .*none\.pub: no such file/);
    await expect(buildInitramfs({ init: fakeInit, output: out, kernelModules: false, keys: [pub, pub] })).rejects.toThrow(`would come from both --key ${pub} and --key ${pub}`);
  });

  it("gzip output, reproducible too", async () => {
    const a = await buildInitramfs({ init: fakeInit, output: join(tmp, "g1.img.gz"), kernelModules: false, compress: "gzip" });
    const b = await buildInitramfs({ init: fakeInit, output: join(tmp, "g2.img.gz"), kernelModules: false, compress: "gzip" });
    expect(readFileSync(a.path).equals(readFileSync(b.path))).toBe(true);
    expect(listing(a.path)).toMatch(/ init$/m);
  });

  it("takes SOURCE_DATE_EPOCH for every timestamp", async () => {
    const r = await buildInitramfs({ init: fakeInit, output: join(tmp, "t.img"), kernelModules: false, mtime: 1700000000 });
    const list = execFileSync("sh", ["-c", `zstd -dc '${r.path}' | cpio -itv --quiet`], { encoding: "utf8", env: { ...process.env, TZ: "UTC", LC_ALL: "C" } });
    expect(list).toMatch(/ Nov 14 {2}2023 init$/m);
  });

  it("stores uncompressed modules as .ko.zst unless told not to, modules.dep naming what is stored", async () => {
    const kernel = await ensureDebianKernel(KERNEL_CACHE);
    const tree = join(tmp, "modules", "6.9.8-plain");
    mkdirSync(join(tree, "kernel/drivers/net"), { recursive: true });
    copyFileSync(join(kernel.modulesDir, "kernel/drivers/net/virtio_net.ko"), join(tree, "kernel/drivers/net/virtio_net.ko"));
    copyFileSync(join(kernel.modulesDir, "kernel/net/core/failover.ko"), join(tree, "kernel/drivers/net/failover.ko"));
    writeFileSync(join(tree, "modules.dep"), "kernel/drivers/net/virtio_net.ko: kernel/drivers/net/failover.ko\nkernel/drivers/net/failover.ko:\n");
    const zst = await buildInitramfs({ init: fakeInit, output: join(tmp, "mz.img"), kernelModules: tree, netDrivers: "virtio_net" });
    const plain = await buildInitramfs({ init: fakeInit, output: join(tmp, "mp.img"), kernelModules: tree, netDrivers: "virtio_net", moduleCompression: "none" });
    const names = (r: InitramfsResult) => listing(r.path).split("\n").map((l) => l.split(" ").pop()).filter((n) => n?.startsWith("lib/modules/6.9.8-plain/kernel") && /\.ko(\.zst)?$/.test(n));
    expect(names(zst)).toEqual(["lib/modules/6.9.8-plain/kernel/drivers/net/failover.ko.zst", "lib/modules/6.9.8-plain/kernel/drivers/net/virtio_net.ko.zst"]);
    expect(names(plain)).toEqual(["lib/modules/6.9.8-plain/kernel/drivers/net/failover.ko", "lib/modules/6.9.8-plain/kernel/drivers/net/virtio_net.ko"]);
    expect(zst.compressedBytes).toBeLessThan(plain.compressedBytes + (64 << 10));
    if (!isRoot) return;
    const root = join(tmp, "x-mz");
    extract(zst.path, root);
    expect(readFileSync(join(root, "lib/modules/6.9.8-plain/modules.dep"), "utf8")).toBe(
      "kernel/drivers/net/virtio_net.ko.zst: kernel/drivers/net/failover.ko.zst\nkernel/drivers/net/failover.ko.zst:\n",
    );
  });

  it("carries the firmware its modules ask for, from the firmware directory, unless the site added its own", async () => {
    const kernel = await ensureDebianKernel(KERNEL_CACHE);
    const tree = join(tmp, "modules", "6.9.7-fw");
    mkdirSync(join(tree, "kernel/drivers/net"), { recursive: true });
    // Stored compressed in the tree, as newer Debian kernels ship them: read through the decoder.
    writeFileSync(join(tree, "kernel/drivers/net/bnx2.ko.xz"), execFileSync("xz", ["--check=crc32", "-c", join(kernel.modulesDir, "kernel/drivers/net/ethernet/broadcom/bnx2.ko")]));
    writeFileSync(join(tree, "modules.dep"), "kernel/drivers/net/bnx2.ko.xz:\n");
    const fw = join(tmp, "firmware");
    mkdirSync(join(fw, "bnx2"), { recursive: true });
    writeFileSync(join(fw, "bnx2/bnx2-mips-09-6.2.1b.fw"), "mips 09");
    writeFileSync(join(fw, "bnx2/bnx2-rv2p-09-6.0.17.fw.xz"), "rv2p 09, packed");
    const site = join(tmp, "site-fw");
    mkdirSync(site, { recursive: true });
    writeFileSync(join(site, "bnx2-mips-09-6.2.1b.fw"), "the site's own");
    const r = await buildInitramfs({
      init: fakeInit, output: join(tmp, "fw.img"), kernelModules: tree, netDrivers: "bnx2", firmware: fw,
      add: [`${join(site, "bnx2-mips-09-6.2.1b.fw")}:/lib/firmware/bnx2/bnx2-mips-09-6.2.1b.fw`],
    });
    // In the module's own order (modinfo's).
    expect(r.firmware).toEqual(["/lib/firmware/bnx2/bnx2-rv2p-09-6.0.17.fw.xz", "/lib/firmware/bnx2/bnx2-mips-09-6.2.1b.fw"]);
    expect([...r.missingFirmware]).toEqual([["bnx2", ["bnx2/bnx2-rv2p-09ax-6.0.17.fw", "bnx2/bnx2-rv2p-06-6.0.15.fw", "bnx2/bnx2-mips-06-6.2.3.fw"]]]);
    const none = await buildInitramfs({ init: fakeInit, output: join(tmp, "nofw.img"), kernelModules: tree, netDrivers: "bnx2", firmware: false });
    expect(none.firmware).toEqual([]);
    expect(listing(none.path)).not.toContain("lib/firmware");
    if (!isRoot) return;
    const root = join(tmp, "x-fw");
    extract(r.path, root);
    expect(readFileSync(join(root, "lib/firmware/bnx2/bnx2-mips-09-6.2.1b.fw"), "utf8")).toBe("the site's own");
    expect(readFileSync(join(root, "lib/firmware/bnx2/bnx2-rv2p-09-6.0.17.fw.xz"), "utf8")).toBe("rv2p 09, packed");
  });

  it("--net-drivers host: the drivers of this machine's interfaces (a sysfs tree here), and an error when there are none", async () => {
    const kernel = await ensureDebianKernel(KERNEL_CACHE);
    const sys = join(tmp, "sys");
    const nic = join(sys, "devices/pci0000:00/0000:00:02.0");
    for (const [dev, module] of [[join(nic, "virtio0"), "virtio_net"], [nic, "virtio_pci"]]) {
      mkdirSync(join(sys, "module", module), { recursive: true });
      mkdirSync(join(sys, "bus/x/drivers", module), { recursive: true });
      symlinkSync(join(sys, "module", module), join(sys, "bus/x/drivers", module, "module"));
      mkdirSync(dev, { recursive: true });
      symlinkSync(join(sys, "bus/x/drivers", module), join(dev, "driver"));
    }
    mkdirSync(join(sys, "class/net/eth0"), { recursive: true });
    symlinkSync(join(nic, "virtio0"), join(sys, "class/net/eth0/device"));
    const r = await buildInitramfs({ init: fakeInit, output: join(tmp, "host.img"), kernelModules: kernel.modulesDir, netDrivers: "host", sysRoot: sys, firmware: false });
    expect(r.modules).toContain("virtio_net");
    expect(r.modules).toContain("virtio_pci");
    expect(r.modules).not.toContain("e1000e");
    await expect(
      buildInitramfs({ init: fakeInit, output: join(tmp, "host2.img"), kernelModules: kernel.modulesDir, netDrivers: "host", sysRoot: join(tmp, "no-sys") }),
    ).rejects.toThrow("--net-drivers host: this machine's network interfaces use no driver modules (built in, or no NIC)");
  });

  it("keeps compressed modules as they are", async () => {
    const kernel = await ensureDebianKernel(KERNEL_CACHE);
    const tree = join(tmp, "modules", "6.9.9-test");
    mkdirSync(join(tree, "kernel/drivers/net"), { recursive: true });
    execFileSync("zstd", ["-q", "-19", join(kernel.modulesDir, "kernel/drivers/net/virtio_net.ko"), "-o", join(tree, "kernel/drivers/net/virtio_net.ko.zst")]);
    writeFileSync(join(tree, "kernel/drivers/net/failover.ko.xz"), execFileSync("xz", ["--check=crc32", "-c", join(kernel.modulesDir, "kernel/net/core/failover.ko")]));
    writeFileSync(join(tree, "modules.dep"), "kernel/drivers/net/virtio_net.ko.zst: kernel/drivers/net/failover.ko.xz\nkernel/drivers/net/failover.ko.xz:\n");
    const r = await buildInitramfs({ init: fakeInit, output: join(tmp, "c.img"), kernelModules: tree, netDrivers: "virtio_net" });
    expect(r.modules).toEqual(["virtio_net", "failover"]);
    if (!isRoot) return;
    const root = join(tmp, "x-c");
    extract(r.path, root);
    for (const f of ["virtio_net.ko.zst", "failover.ko.xz"]) {
      expect(readFileSync(join(root, "lib/modules/6.9.9-test/kernel/drivers/net", f)).equals(readFileSync(join(tree, "kernel/drivers/net", f)))).toBe(true);
    }
  });

  it("clear errors", async () => {
    const out = join(tmp, "err.img");
    await expect(buildInitramfs({ init: join(tmp, "no-init"), output: out, kernelModules: false })).rejects.toThrow(/--init .*no-init: no such file/);
    await expect(buildInitramfs({ init: "/etc/passwd", output: out, kernelModules: false })).rejects.toThrow(/--init \/etc\/passwd: not an ELF executable/);
    await expect(buildInitramfs({ init: fakeInit, output: out, kernelModules: join(tmp, "nowhere") })).rejects.toThrow(/--kernel-modules .*nowhere: no such directory/);
    await expect(buildInitramfs({ init: fakeInit, output: out, kernelModules: tmp })).rejects.toThrow(/--kernel-modules .*: no modules\.dep/);
    await expect(buildInitramfs({ init: fakeInit, output: out, kernelModules: false, busybox: "/bin/ls" })).rejects.toThrow(/--busybox \/bin\/ls: dynamically linked/);
    await expect(buildInitramfs({ init: fakeInit, output: out, kernelModules: false, needs: ["/etc/passwd"] })).rejects.toThrow(/--needs \/etc\/passwd: not an ELF file/);
    await expect(buildInitramfs({ init: fakeInit, output: out, kernelModules: false, add: ["/etc/hostname:/init"] })).rejects.toThrow(/\/init would come from both --init .* and --add \/etc\/hostname:\/init/);
    await expect(buildInitramfs({ init: fakeInit, output: out, kernelModules: false, ca: "/etc/hostname" })).rejects.toThrow(/--ca \/etc\/hostname: no PEM certificate/);
    await expect(buildInitramfs({ init: fakeInit, output: out, kernelModules: false, set: ["quiet"] })).rejects.toThrow(/--set 'quiet': expected KEY=VALUE/);
    await expect(buildInitramfs({ init: fakeInit, output: out, kernelModules: false, hooks: join(tmp, "no-hooks") })).rejects.toThrow(/--hooks .*no-hooks: not a directory/);
    expect(() => parseAddSpec("/just/a/path")).toThrow(/--add '\/just\/a\/path': expected HOSTPATH:\/PATH/);
    expect(parseAddSpec("/a:b/c:/etc/x")).toEqual({ host: "/a:b/c", target: "/etc/x" });
  });
});
