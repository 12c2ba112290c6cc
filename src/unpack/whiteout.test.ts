// OCI whiteouts, against umoci (Debian's, unpacked from its package, not installed): the same layers
// given to `umoci raw add-layer` and unpacked by `umoci unpack` must leave the tree tarboot leaves.
import { execFileSync } from "node:child_process";
import { createReadStream, existsSync, lstatSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { unpackedPackage } from "../testing/debian-package";
import { compareDirs } from "../testing/tartree";
import { TmpfsScratch } from "../testing/tar-fixtures";
import { extract } from "./index";
import { whiteoutOf } from "./whiteout";

let scratch: TmpfsScratch;
let umoci: string;

beforeAll(async () => {
  scratch = new TmpfsScratch("64m");
  umoci = join(await unpackedPackage("umoci", "usr/bin/umoci"), "usr/bin/umoci");
}, 120_000);
afterAll(() => scratch?.dispose());

/** A tar of the files given (path -> content; a trailing / makes a directory, "-> target" a symlink), as Docker writes layers. */
function layer(name: string, files: Record<string, string>): string {
  const dir = scratch.sub(`src-${name}`);
  for (const [p, content] of Object.entries(files)) {
    const path = join(dir, p);
    if (p.endsWith("/")) mkdirSync(path, { recursive: true });
    else {
      mkdirSync(join(path, ".."), { recursive: true });
      if (content.startsWith("-> ")) symlinkSync(content.slice(3), path);
      else writeFileSync(path, content);
    }
  }
  const tar = join(scratch.dir, `${name}.tar`);
  execFileSync("tar", ["--numeric-owner", "--format=pax", "-cf", tar, "-C", dir, "."]);
  return tar;
}

/** What umoci makes of the layers, and what tarboot makes; with tarboot's per-layer counts of whiteouts that removed something. */
async function both(name: string, layers: string[]): Promise<{ ref: string; ours: string; removed: number[] }> {
  const img = join(scratch.dir, `${name}-img`);
  const run = (...args: string[]) => execFileSync(umoci, args, { stdio: ["ignore", "ignore", "pipe"] });
  run("init", "--layout", img);
  run("new", "--image", `${img}:t`);
  for (const l of layers) run("raw", "add-layer", "--image", `${img}:t`, l);
  const bundle = join(scratch.dir, `${name}-bundle`);
  run("unpack", "--image", `${img}:t`, bundle);
  const ours = scratch.sub(`${name}-tarboot`);
  const removed: number[] = [];
  for (const [i, l] of layers.entries()) removed.push((await extract(createReadStream(l), ours, { label: `layer ${i + 1}/${layers.length}` })).whiteouts);
  return { ref: join(bundle, "rootfs"), ours, removed };
}

describe("whiteouts (OCI layers)", () => {
  it("removes what lower layers made, by name and by an opaque directory, as umoci unpacks the same layers", async () => {
    const since = BigInt(Date.now() - 1000) * 1_000_000n;
    const l1 = layer("base", {
      "a/old": "old\n",
      "a/keep/k1": "k1\n",
      "d/sub/f": "f\n",
      "x/y": "y\n",
      "link": "-> d",
      "etc/motd": "base\n",
    });
    const l2 = layer("top", {
      // Opaque: a/'s lower children go, what this layer puts there stays, a/keep/ included.
      "a/.wh..wh..opq": "",
      "a/new": "new\n",
      "a/keep/k2": "k2\n",
      // By name: a directory with its contents, a file, a symlink (not what it points at), nothing at all.
      "d/.wh.sub": "",
      ".wh.x": "",
      ".wh.link": "",
      ".wh.never-was": "",
      "etc/.wh.motd": "",
    });
    // A third layer puts back a name the second whited out, and whites out one the second made.
    const l3 = layer("again", { "x/z": "z\n", "a/.wh.new": "" });
    const { ref, ours, removed } = await both("opaque", [l1, l2, l3]);
    expect(compareDirs(ref, ours, { extractedSince: since, ignore: (rel, field) => rel === "" && field === "mtime" })).toEqual([]);
    // Not written as files, and the tree is what the spec says (not only what umoci says).
    expect(existsSync(join(ours, "a/.wh..wh..opq"))).toBe(false);
    for (const gone of ["a/old", "a/keep/k1", "d/sub", "x/y", "link", "etc/motd", "a/new"]) expect(existsSync(join(ours, gone)), gone).toBe(false);
    for (const kept of ["a/keep/k2", "d", "x/z", "etc"]) expect(existsSync(join(ours, kept)), kept).toBe(true);
    // Layer 1 has none; layer 2: a/ (opaque), d/sub, x, link, etc/motd (.wh.never-was removed nothing); layer 3: a/new.
    expect(removed).toEqual([0, 5, 1]);
  });

  it("leaves alone what the same layer made, whatever the order of the entries", async () => {
    const since = BigInt(Date.now() - 1000) * 1_000_000n;
    const l1 = layer("same-base", { "s/lower": "l\n" });
    // GNU tar lists in directory order, so the whiteout may come after the name it covers.
    const l2 = layer("same-top", { "s/.wh.mine": "", "s/mine": "mine\n", "s/.wh..wh..opq": "", "s/deep/file": "d\n" });
    const { ref, ours } = await both("same", [l1, l2]);
    expect(compareDirs(ref, ours, { extractedSince: since, ignore: (rel, field) => rel === "" && field === "mtime" })).toEqual([]);
    expect(existsSync(join(ours, "s/mine"))).toBe(true);
    expect(existsSync(join(ours, "s/deep/file"))).toBe(true);
    expect(existsSync(join(ours, "s/lower"))).toBe(false);
  });

  it("never removes anything outside the root, whatever symlinks a lower layer left on the way", async () => {
    const outside = scratch.sub("outside");
    writeFileSync(join(outside, "victim"), "must stay\n");
    mkdirSync(join(outside, "dir"));
    writeFileSync(join(outside, "dir/victim"), "must stay\n");
    const l1 = layer("escape-base", { esc: `-> ${outside}`, up: "-> ../../..", "e2/": "" });
    // Only the whiteouts, without directory entries for esc/ and up/ (which would replace the links).
    const top = ["esc/.wh.victim", "up/.wh.victim", "esc/dir/.wh..wh..opq"];
    layer("escape-top", Object.fromEntries(top.map((p) => [p, ""])));
    const l2 = join(scratch.dir, "escape-top-files.tar");
    execFileSync("tar", ["--numeric-owner", "--no-recursion", "-cf", l2, "-C", join(scratch.dir, "src-escape-top"), ...top]);
    const ours = scratch.sub("escape-tarboot");
    for (const l of [l1, l2]) await extract(createReadStream(l), ours, { label: "layer" });
    expect(readFileSync(join(outside, "victim"), "utf8")).toBe("must stay\n");
    expect(readFileSync(join(outside, "dir/victim"), "utf8")).toBe("must stay\n");
    // Followed chroot-like, as every other entry: the links themselves stay.
    expect(lstatSync(join(ours, "esc")).isSymbolicLink()).toBe(true);
  });

  it("refuses a whiteout that names the directory itself or its parent", () => {
    expect(() => whiteoutOf("etc/.wh..")).toThrow(/whiteout etc\/\.wh\.\. names no entry/);
    expect(() => whiteoutOf(".wh...")).toThrow(/names no entry/);
    expect(whiteoutOf(".wh....")).toEqual({ kind: "name", dir: "", name: "..." });
    expect(whiteoutOf("etc/.wh..wh.plnk")).toEqual({ kind: "reserved" });
    expect(whiteoutOf("etc/motd.wh.x")).toBeNull();
    expect(whiteoutOf("a/b/.wh.c")).toEqual({ kind: "name", dir: "a/b", name: "c" });
  });
});
