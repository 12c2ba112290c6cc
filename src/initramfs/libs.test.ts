import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import type { ElfInfo } from "../elf";
import { synthElf } from "../elf/fixture";
import { type LibHost, expandSearchDir, parseLdSoConf, readHostElf, readLdSoConf, resolveLibraries } from "./libs";

const repo = fileURLToPath(new URL("../../", import.meta.url));
const KOFFI = `${repo}node_modules/koffi/build/koffi/linux_x64/koffi.node`;
const MULTI = "/lib/x86_64-linux-gnu";

const tmp = mkdtempSync(join(tmpdir(), "tarboot-libs-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** `ldd` (glibc's own loader in trace mode) as the oracle: name -> resolved host path. */
function ldd(file: string): Map<string, string> {
  const out = execFileSync("ldd", [file], { encoding: "utf8" });
  const libs = new Map<string, string>();
  for (const m of out.matchAll(/^\s*(\S+) => (\/\S+)/gm)) libs.set(m[1], realpathSync(m[2]));
  return libs;
}

describe("library closure on the build host", () => {
  it("/bin/ls: the interpreter at its PT_INTERP path and everything ldd finds, in the multiarch dir", () => {
    const { files } = resolveLibraries(["/bin/ls"]);
    const byPath = new Map(files.map((f) => [f.path, f.source]));
    expect(byPath.get("/lib64/ld-linux-x86-64.so.2")).toBe(realpathSync("/lib64/ld-linux-x86-64.so.2"));
    expect(byPath.has(`${MULTI}/libc.so.6`)).toBe(true);
    const expected = ldd("/bin/ls");
    for (const [name, source] of expected) expect(byPath.get(`${MULTI}/${name}`)).toBe(source);
    // libc.so.6 asks for ld-linux-x86-64.so.2 by soname: the loaded interpreter answers, no second copy.
    expect(files.map((f) => f.path).sort()).toEqual(["/lib64/ld-linux-x86-64.so.2", ...[...expected.keys()].map((n) => `${MULTI}/${n}`)].sort());
  });

  it("the native addon's needs, alongside an executable", () => {
    const { files } = resolveLibraries(["/bin/ls", KOFFI]);
    const paths = files.map((f) => f.path);
    for (const name of ["libstdc++.so.6", "libm.so.6", "libgcc_s.so.1", "libc.so.6"]) {
      expect(paths).toContain(`${MULTI}/${name}`);
    }
    for (const [name, source] of ldd(KOFFI)) {
      if (name.startsWith("ld-linux")) continue;
      expect(files.find((f) => f.path === `${MULTI}/${name}`)?.source).toBe(source);
    }
    expect(paths).not.toContain(`${MULTI}/ld-linux-x86-64.so.2`);
    expect(paths).not.toContain(KOFFI);
  });

  it("libraries opened by name at run time join the closure under their soname, with their own needs", () => {
    const { files } = resolveLibraries(["/bin/true"], undefined, ["libzstd.so.1", "liblzma.so.5"]);
    expect(files.find((f) => f.path === `${MULTI}/libzstd.so.1`)?.source).toBe(realpathSync(`${MULTI}/libzstd.so.1`));
    expect(files.find((f) => f.path === `${MULTI}/liblzma.so.5`)?.source).toBe(realpathSync(`${MULTI}/liblzma.so.5`));
    expect(() => resolveLibraries(["/bin/true"], undefined, ["libnothere.so.9"])).toThrow(/libnothere\.so\.9, needed by \/bin\/true, not found/);
  });

  it("the placement works without ld.so.cache: /bin/ls runs in a chroot of just the closure", () => {
    if (process.getuid?.() !== 0) return;
    const root = join(tmp, "chroot");
    for (const f of [...resolveLibraries(["/bin/ls"]).files, { path: "/bin/ls", source: "/bin/ls" }]) {
      mkdirSync(dirname(join(root, f.path)), { recursive: true });
      copyFileSync(f.source, join(root, f.path));
      chmodSync(join(root, f.path), 0o755);
    }
    mkdirSync(join(root, "etc"));
    expect(existsSync(join(root, "etc/ld.so.cache"))).toBe(false);
    const run = spawnSync("/usr/sbin/chroot", [root, "/bin/ls", "/lib/x86_64-linux-gnu"], { encoding: "utf8", env: { PATH: "/bin" } });
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
    expect(run.stdout).toContain("libc.so.6");
  });

  it("an ELF that does not exist or is not ELF is a clear error", () => {
    expect(() => resolveLibraries([join(tmp, "nope")])).toThrow(/nope: not an ELF file/);
    writeFileSync(join(tmp, "script"), "#!/bin/sh\n");
    expect(() => resolveLibraries([join(tmp, "script")])).toThrow(/script: not an ELF file/);
  });

  it("a 32-bit program or library is refused, naming it", () => {
    const prog = join(tmp, "prog32");
    writeFileSync(prog, synthElf({ bits: 32, le: true, machine: 3, type: 2, interp: "/lib/ld-linux.so.2", dyn: [[1, "libc.so.6"]] }));
    const refusal = `${prog}: 32-bit ELF (ELFCLASS32): only 64-bit programs are supported`;
    expect(() => readHostElf(prog)).toThrow(refusal);
    expect(() => resolveLibraries([prog])).toThrow(refusal);
    expect(readHostElf("/bin/ls")?.bits).toBe(64);
  });
});

describe("loader search rules (a fake host)", () => {
  const elf = (p: Partial<ElfInfo>): ElfInfo => ({ bits: 64, machine: 62, littleEndian: true, type: 3, needed: [], rpath: [], runpath: [], dynamic: true, ...p });
  function fakeHost(files: Record<string, ElfInfo>, conf: string[] = []): LibHost {
    return { readElf: (p) => files[p] ?? null, realpath: (p) => p, ldSoConfDirs: () => conf };
  }

  it("RPATH (also the executable's, for its libraries) before ld.so.conf before system dirs; RUNPATH disables RPATH", () => {
    const host = fakeHost(
      {
        "/app/bin/prog": elf({ type: 2, interpreter: "/lib64/ld-linux-x86-64.so.2", needed: ["liba.so", "libr.so"], rpath: ["$ORIGIN/../lib"] }),
        "/lib64/ld-linux-x86-64.so.2": elf({ soname: "ld-linux-x86-64.so.2" }),
        "/app/lib/liba.so": elf({ needed: ["libb.so"] }),
        "/app/lib/libb.so": elf({}),
        "/usr/lib/x86_64-linux-gnu/libb.so": elf({}),
        "/opt/run/libr.so": elf({}),
        "/app/lib/libr.so": elf({ machine: 183 }), // wrong machine: skipped, as the loader does
        "/usr/local/lib/libc.so.6": elf({ needed: ["ld-linux-x86-64.so.2"] }),
        "/lib/x86_64-linux-gnu/libc.so.6": elf({}),
      },
      ["/opt/run", "/usr/local/lib"],
    );
    const files = resolveLibraries(["/app/bin/prog"], host).files;
    expect(files).toEqual([
      { path: "/lib/x86_64-linux-gnu/liba.so", source: "/app/lib/liba.so" },
      { path: "/lib/x86_64-linux-gnu/libb.so", source: "/app/lib/libb.so" },
      { path: "/lib/x86_64-linux-gnu/libr.so", source: "/opt/run/libr.so" },
      { path: "/lib64/ld-linux-x86-64.so.2", source: "/lib64/ld-linux-x86-64.so.2" },
    ]);

    const host2 = fakeHost({
      "/x/prog": elf({ type: 2, needed: ["libq.so"], rpath: ["/rp"], runpath: ["/run"] }),
      "/rp/libq.so": elf({}),
      "/run/libq.so": elf({ needed: ["libc.so.6"] }),
      "/lib/x86_64-linux-gnu/libc.so.6": elf({}),
    });
    expect(resolveLibraries(["/x/prog"], host2).files).toEqual([
      { path: "/lib/x86_64-linux-gnu/libc.so.6", source: "/lib/x86_64-linux-gnu/libc.so.6" },
      { path: "/lib/x86_64-linux-gnu/libq.so", source: "/run/libq.so" },
    ]);
  });

  it("a missing library names who needs it and where it looked", () => {
    const host = fakeHost({ "/p": elf({ needed: ["libgone.so.1"] }) }, ["/etc-dir"]);
    expect(() => resolveLibraries(["/p"], host)).toThrow(/libgone\.so\.1, needed by \/p, not found on this host \(searched \/etc-dir, \/lib\/x86_64-linux-gnu, /);
  });

  it("expands $ORIGIN, drops machine-dependent tokens", () => {
    expect(expandSearchDir("$ORIGIN/../lib", "/a/bin/x")).toBe("/a/lib");
    expect(expandSearchDir("${ORIGIN}", "/a/bin/x")).toBe("/a/bin");
    expect(expandSearchDir("/opt/$LIB", "/a/x")).toBeNull();
    expect(expandSearchDir("lib", "/a/x")).toBeNull();
  });

  it("reads ld.so.conf with includes", () => {
    expect(parseLdSoConf("# c\ninclude /e/*.conf\n/a:/b, /c\nhwcap 0 nosegneg\n\n/d # trailing\n")).toEqual([
      { include: "/e/*.conf" }, { dir: "/a" }, { dir: "/b" }, { dir: "/c" }, { dir: "/d" },
    ]);
    const etc = join(tmp, "etc");
    mkdirSync(join(etc, "ld.so.conf.d"), { recursive: true });
    writeFileSync(join(etc, "ld.so.conf"), "/first\ninclude ld.so.conf.d/*.conf\n/last\n");
    writeFileSync(join(etc, "ld.so.conf.d", "b.conf"), "/b\n");
    writeFileSync(join(etc, "ld.so.conf.d", "a.conf"), "/a1\n/a2\n");
    writeFileSync(join(etc, "ld.so.conf.d", "ignored.txt"), "/no\n");
    expect(readLdSoConf(join(etc, "ld.so.conf"))).toEqual(["/first", "/a1", "/a2", "/b", "/last"]);
  });
});
