import { execFileSync } from "node:child_process";
import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { tempDir } from "../testing/root-fixtures";
import { fstabInRoot, fstabProblems, isDeviceSpec, parseFstab } from "./fstab-check";

// What Debian's installer leaves behind, plus lines that must not be complained about.
const INSTALLED = `# /etc/fstab: static file system information.
#
# <file system> <mount point>   <type>  <options>       <dump>  <pass>
# / was on /dev/sda1 during installation
UUID=0a1b2c3d-1111-2222-3333-444455556666 /               ext4    errors=remount-ro 0       1
# /home was on /dev/sda3 during installation
UUID=9f8e7d6c-aaaa-bbbb-cccc-ddddeeeeffff /home           ext4    defaults        0       2
# swap was on /dev/sda2 during installation
UUID=12345678-abcd-ef01-2345-6789abcdef01 none            swap    sw              0       0
/dev/sr0        /media/cdrom0   udf,iso9660 user,noauto     0       0
LABEL=scratch   /scratch        xfs     defaults,nofail 0       0
nfs1:/export/home /net/home nfs defaults,_netdev 0 0
tmpfs           /tmp            tmpfs   mode=1777       0       0
/srv/data       /mnt/data       none    bind            0       0
/dev/disk/by-id/ata-X\\040Y /mnt/x ext4
`;

describe("fstab check", () => {
  it("parses fields, comments, defaults and octal escapes", () => {
    const e = parseFstab(INSTALLED);
    expect(e.map((x) => x.line)).toEqual([5, 7, 9, 10, 11, 12, 13, 14, 15]);
    expect(e[0]).toEqual({ line: 5, spec: "UUID=0a1b2c3d-1111-2222-3333-444455556666", file: "/", type: "ext4", options: ["errors=remount-ro"] });
    expect(e[8]).toMatchObject({ spec: "/dev/disk/by-id/ata-X Y", file: "/mnt/x", options: ["defaults"] });
  });

  it("names /, disks and swap an installed machine had, and leaves network, tmpfs, bind, noauto and nofail alone", () => {
    expect(fstabProblems(parseFstab(INSTALLED)).map((p) => `${p.line}: ${p.problem}`)).toEqual([
      "5: / is tarboot's tmpfs, not UUID=0a1b2c3d-1111-2222-3333-444455556666: systemd-remount-fs will fail remounting it as ext4 (errors=remount-ro); leave / out of the diskless root's fstab",
      "7: /home from UUID=9f8e7d6c-aaaa-bbbb-cccc-ddddeeeeffff: systemd waits 90s for the device, then stops in emergency mode if this node lacks it (add nofail, or leave it out of the diskless root)",
      "9: swap on UUID=12345678-abcd-ef01-2345-6789abcdef01: systemd waits 90s for the device (the boot goes on without it; add nofail if some nodes lack it)",
      "15: /mnt/x from /dev/disk/by-id/ata-X Y: systemd waits 90s for the device, then stops in emergency mode if this node lacks it (add nofail, or leave it out of the diskless root)",
    ]);
    expect(fstabProblems(parseFstab("tmpfs / tmpfs defaults 0 0\nproc /proc proc defaults 0 0\n"))).toEqual([]);
    expect([isDeviceSpec("PARTUUID=ab"), isDeviceSpec("/dev/mapper/vg-root"), isDeviceSpec("/dev/shm"), isDeviceSpec("srv:/x")]).toEqual([true, true, false, false]);
  });
});

describe("fstabInRoot", () => {
  let tmp: ReturnType<typeof tempDir>;
  let root: string;
  beforeEach(() => {
    tmp = tempDir("fstab");
    root = join(tmp.dir, "root");
    mkdirSync(join(root, "etc"), { recursive: true });
  });
  afterEach(() => tmp.cleanup());

  it("reads the root's own file (an absolute symlink resolved inside the root), and nothing else", () => {
    expect(fstabInRoot(root)).toEqual([]);
    mkdirSync(join(root, "usr/share/base"), { recursive: true });
    writeFileSync(join(root, "usr/share/base/fstab"), "LABEL=data /data ext4 defaults 0 2\n");
    symlinkSync("/usr/share/base/fstab", join(root, "etc/fstab"));
    expect(fstabInRoot(root).map((p) => p.entry)).toEqual(["LABEL=data /data ext4 defaults"]);
  });

  it("does not read a FIFO (PID 1 would block) or a directory", () => {
    execFileSync("mkfifo", [join(root, "etc/fstab")]);
    expect(fstabInRoot(root)).toEqual([]);
  });
});
