// PID 1 whose own modules fail to evaluate (here: the native addon cannot be loaded) must not exit,
// which would panic the kernel: it says why, offers the rescue shell when there is one, and waits.
// The executable's entry point runs as PID 1 of a new PID namespace, bundled as the init is.
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { build } from "esbuild";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureNode24 } from "../../build/node24.mjs";
import { REPO } from "../testing/bundle";

const dir = mkdtempSync(join(tmpdir(), "tarboot-unstartable-"));
const bundle = join(dir, "init.cjs");
afterAll(() => rmSync(dir, { recursive: true, force: true }));

beforeAll(async () => {
  await build({
    entryPoints: [join(REPO, "src/boot/main.ts")],
    outfile: bundle,
    bundle: true,
    platform: "node",
    target: "node24",
    format: "cjs",
    alias: { koffi: join(REPO, "src/testing/koffi-broken.ts") },
    logLevel: "error",
  });
}, 60_000);

/** Runs the init as PID 1 until `done` matches its console or `ms` pass; then kills it. */
function runAsPid1(opts: { withoutShell: boolean; input?: string }, done: RegExp, ms = 15_000): Promise<{ out: string; exited: boolean }> {
  const empty = join(dir, "empty");
  mkdirSync(empty, { recursive: true });
  // Without a shell: /bin (Debian's merged /usr/bin) is hidden in a mount namespace of its own.
  // With one: the host's busybox is hidden too, whose cttyhack would take the shell to the host's
  // console; a plain /bin/sh talks to the test's pipes.
  const hide = opts.withoutShell ? `mount --bind ${empty} /usr/bin && ` : "[ ! -e /usr/bin/busybox ] || mount --bind /dev/null /usr/bin/busybox && ";
  const child = spawn("unshare", ["--pid", "--fork", "--mount", "--kill-child", "--", "/bin/sh", "-c", `${hide}exec ${ensureNode24()} ${bundle}`], {
    stdio: ["pipe", "pipe", "pipe"],
  });
  let out = "";
  let exited = false;
  return new Promise((resolve) => {
    const finish = () => {
      clearTimeout(timer);
      child.kill("SIGKILL");
      resolve({ out, exited });
    };
    const timer = setTimeout(finish, ms);
    const onData = (b: Buffer) => {
      out += b.toString();
      if (opts.input && out.includes("rescue shell")) {
        child.stdin.write(opts.input);
        opts.input = undefined;
      }
      // Seen the end of what it does: still alive a second later is what matters.
      if (done.test(out)) setTimeout(finish, 1000);
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.on("exit", () => {
      exited = true;
    });
  });
}

describe("PID 1 that cannot load its own code", () => {
  it("says why and waits instead of exiting", async () => {
    const r = await runAsPid1({ withoutShell: true }, /waiting for a power cycle/);
    expect(r.out).toContain("tarboot: cannot start the init: koffi.node: cannot open shared object file: No such file or directory");
    expect(r.out).not.toContain("rescue shell");
    expect(r.out).toContain("tarboot: the init cannot reboot without its native addon: waiting for a power cycle");
    expect(r.exited).toBe(false);
  }, 30_000);

  it("offers the rescue shell first when the initramfs has one", async () => {
    const r = await runAsPid1({ withoutShell: false, input: "echo SHELL-$((6*7)); exit\n" }, /waiting for a power cycle/);
    expect(r.out).toContain("tarboot: starting the rescue shell (without /proc, /sys or /dev mounted)");
    expect(r.out).toContain("SHELL-42");
    expect(r.out).toContain("waiting for a power cycle");
    expect(r.exited).toBe(false);
  }, 30_000);
});
