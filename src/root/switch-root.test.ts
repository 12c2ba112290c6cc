import { spawnSync } from "node:child_process";
import { chmodSync, copyFileSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { BootError } from "../console/errors";
import { bundleDriver, REPO } from "../testing/bundle";
import { tempDir } from "../testing/root-fixtures";
import { mountTmpfs, unmountAll } from "../testing/root-mounts";
import { isMountPoint } from "./mountpoint";
import { moveMountsInto, switchRoot } from "./switch-root";

// The new init: a busybox script that reports what it finds after switch_root.
const INIT = `#!/bin/sh
bb=/bin/busybox
echo "INIT argv0=$0 args=$*"
echo "ROOTFS $($bb stat -f -c %T /)"
echo "LS $($bb ls / | $bb tr '\\n' ' ')"
echo "RUN $($bb cat /run/marker)"
[ -c /dev/null ] && echo "DEV yes"
[ -r /proc/$$/status ] && echo "PROC yes"
$bb grep -E '^Sig(Ign|Blk):' /proc/$$/status
echo "FDFLAGS $($bb awk '/^flags:/ {print $2}' /proc/$$/fdinfo/1)"
echo "ENV $TARBOOT_E2E"
echo "BOOTJSON $($bb tr -d '\\n' < /run/tarboot/boot.json)"
`;

describe("switchRoot end to end", () => {
  let driver: string;
  const tmp = tempDir("switchroot");
  beforeAll(async () => {
    driver = await bundleDriver(join(REPO, "src/testing/root-switch-driver.ts"));
    return tmp.cleanup;
  });

  it("moves the mounts, empties the initramfs, chroots and execs init with its arguments", () => {
    const r = spawnSync("unshare", ["--mount", "--propagation", "private", "--fork", process.execPath, driver, tmp.dir, INIT, "single", "--foo"], {
      encoding: "utf8",
      env: { PATH: "/usr/sbin:/usr/bin:/sbin:/bin", TARBOOT_E2E: "kernel env" },
      timeout: 60_000,
    });
    const out = r.stdout;
    expect(r.stderr).toMatch(/initramfs emptied: 2 files, 24.0 MiB/);
    expect(r.status, `stdout:\n${out}\nstderr:\n${r.stderr}`).toBe(0);
    const lines = Object.fromEntries(
      out
        .trim()
        .split("\n")
        .map((l) => {
          const m = /^(\S+?):?\s+(.*)$/.exec(l) ?? [l, l, ""];
          return [m[1], m[2].trim()];
        }),
    );
    expect(lines.driver).toBe("switching");
    expect(lines.INIT).toBe("argv0=/sbin/init args=single --foo");
    expect(lines.ROOTFS).toBe("tmpfs");
    // The new root's own entries plus the mounts carried over (/sys was not mounted: not created).
    expect(lines.LS).toBe("bin dev etc proc run sbin");
    expect(lines.RUN).toBe("carried over");
    expect(lines.DEV).toBe("yes");
    expect(lines.PROC).toBe("yes");
    // init starts as from the kernel: none of the signals Node ignores (SIGPIPE, SIGXFSZ) stays
    // ignored (busybox sh ignores SIGQUIT itself), none blocked, a blocking console.
    const bit = (sig: number) => 1n << BigInt(sig - 1);
    expect(BigInt(`0x${lines.SigIgn}`) & (bit(13) | bit(25))).toBe(0n);
    expect(lines.SigBlk).toBe("0000000000000000");
    expect(Number.parseInt(lines.FDFLAGS, 8) & 0o4000).toBe(0);
    expect(lines.ENV).toBe("kernel env");

    const boot = JSON.parse(lines.BOOTJSON);
    expect(boot.version).toBe(1);
    expect(boot.stages.map((s: { stage: string }) => s.stage)).toEqual(["init", "switch_root"]);
    for (const s of boot.stages) expect(s.durationMs).toBeGreaterThanOrEqual(0);
    // init (24 MiB) and one module; lib/modules, lib, scripts, sys and the emptied proc, dev, run.
    expect(boot.initramfs).toEqual({ files: 2, dirs: 7, bytes: 24 * 1048576 + 4096, errors: 0 });
    expect(typeof boot.freedMiB).toBe("number");
  });
});

describe("switchRoot refusals, before anything is touched", () => {
  let tmp: ReturnType<typeof tempDir>;
  beforeEach(() => {
    tmp = tempDir("switchrefuse");
  });
  afterEach(() => {
    unmountAll();
    tmp.cleanup();
  });

  /** A fake initramfs (tmpfs) with a mounted run/ and a mounted new root holding a runnable init. */
  function fakeBoot(oldOnTmpfs = true): { old: string; root: string } {
    const old = oldOnTmpfs ? mountTmpfs(join(tmp.dir, "old")) : join(tmp.dir, "old");
    mkdirSync(old, { recursive: true });
    writeFileSync(join(old, "init"), "tarboot");
    mountTmpfs(join(old, "run"));
    writeFileSync(join(old, "run/marker"), "x");
    const root = mountTmpfs(join(old, "root"));
    mkdirSync(join(root, "sbin"));
    copyFileSync("/bin/busybox", join(root, "sbin/init"));
    chmodSync(join(root, "sbin/init"), 0o755);
    return { old, root };
  }

  function refusal(fn: () => unknown): string {
    try {
      fn();
    } catch (err) {
      expect(err).toBeInstanceOf(BootError);
      return (err as Error).message;
    }
    throw new Error("switchRoot went ahead");
  }

  function untouched(old: string): void {
    expect(readFileSync(join(old, "init"), "utf8")).toBe("tarboot");
    expect(isMountPoint(join(old, "run"))).toBe(true);
    expect(readFileSync(join(old, "run/marker"), "utf8")).toBe("x");
  }

  it("refuses a missing init", () => {
    const { old, root } = fakeBoot();
    expect(refusal(() => switchRoot({ newRoot: root, init: "/lib/systemd/systemd", args: [], oldRoot: old, moveMounts: ["/run"] }))).toBe(
      `init=/lib/systemd/systemd: not found in the new root (${root}/lib/systemd/systemd: /lib missing)`,
    );
    untouched(old);
  });

  it("refuses to empty an old root that is not RAM-backed", () => {
    const { old, root } = fakeBoot(false);
    expect(refusal(() => switchRoot({ newRoot: root, init: "/sbin/init", args: [], oldRoot: old, moveMounts: ["/run"] }))).toMatch(
      /^switch_root: .* is ext\d?, not an initramfs \(ramfs or tmpfs\): refusing to empty it$|is filesystem type/,
    );
    untouched(old);
  });

  it("refuses a new root that is not mounted", () => {
    const { old } = fakeBoot();
    const bare = join(old, "bare");
    mkdirSync(join(bare, "sbin"), { recursive: true });
    copyFileSync("/bin/busybox", join(bare, "sbin/init"));
    chmodSync(join(bare, "sbin/init"), 0o755);
    expect(refusal(() => switchRoot({ newRoot: bare, init: "/sbin/init", args: [], oldRoot: old, moveMounts: ["/run"] }))).toMatch(/is not a mount point/);
    untouched(old);
  });

  it("puts moved mounts back when a later one cannot be moved", () => {
    const { old, root } = fakeBoot();
    mountTmpfs(join(old, "bad"));
    writeFileSync(join(root, "bad"), "a file where a directory should be");
    expect(refusal(() => moveMountsInto(root, ["/run", "/nothing", "/bad"], old))).toMatch(new RegExp(`cannot move ${old}/bad into ${root}`));
    untouched(old);
    expect(isMountPoint(join(root, "run"))).toBe(false);
    expect(readdirSync(join(root, "run"))).toEqual([]);
  });
});
