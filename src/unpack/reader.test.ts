// The tar reader alone: numbers, pax records, names, and chunk boundaries anywhere.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { makeTar, tarHeader } from "../testing/tar-write";
import { detectCompression } from "./detect";
import type { Entry, EntrySink } from "./entry";
import { checksumOk, numeric } from "./header";
import { display, memberComponents, normalizedMember } from "./names";
import { parsePax, parsePaxTime } from "./pax";
import { TarReader } from "./reader";

interface Seen {
  entry: Omit<Entry, "xattrs"> & { xattrs: [string, string][] };
  data: string;
}

class Recorder implements EntrySink {
  seen: Seen[] = [];
  private cur: Buffer[] = [];
  private e: Entry | null = null;
  begin(entry: Entry): void {
    this.e = entry;
    this.cur = [];
  }
  data(buf: Buffer, start: number, end: number): void {
    this.cur.push(Buffer.from(buf.subarray(start, end)));
  }
  end(): void {
    const e = this.e as Entry;
    const data = Buffer.concat(this.cur);
    this.seen.push({
      entry: { ...e, xattrs: e.xattrs.map(([k, v]) => [k, v.toString("hex")]) },
      data: data.length > 64 ? `${data.length}:${data.subarray(0, 16).toString("hex")}` : data.toString("hex"),
    });
  }
}

function readAll(buf: Buffer, chunk: (i: number) => number): Seen[] {
  const rec = new Recorder();
  const r = new TarReader(rec);
  for (let pos = 0, i = 0; pos < buf.length; i++) {
    const n = Math.max(1, chunk(i));
    r.push(buf.subarray(pos, pos + n));
    pos += n;
  }
  r.end();
  return rec.seen;
}

describe("numeric fields", () => {
  it("reads octal with leading spaces and NUL or space terminators", () => {
    expect(numeric(Buffer.from("  0755 \0"), 0, 8)).toBe(0o755);
    expect(numeric(Buffer.from("00000000017\0"), 0, 12)).toBe(15);
    expect(numeric(Buffer.alloc(8), 0, 8)).toBe(0);
  });

  it("reads GNU base-256, positive and negative", () => {
    const pos = Buffer.alloc(12);
    pos[0] = 0x80;
    pos.writeUIntBE(4_000_000_000, 6, 6);
    expect(numeric(pos, 0, 12)).toBe(4_000_000_000);
    const neg = Buffer.alloc(12, 0xff);
    neg[11] = 0x9c; // -100
    expect(numeric(neg, 0, 12)).toBe(-100);
  });

  it("rejects a non-octal digit", () => {
    expect(() => numeric(Buffer.from("12389\0\0\0"), 0, 8)).toThrow(/bad octal digit/);
  });

  it("checks header checksums", () => {
    const h = tarHeader({ name: "x" }, 0);
    expect(checksumOk(h, 0)).toBe(true);
    h[0] = 0x79;
    expect(checksumOk(h, 0)).toBe(false);
  });

  it("sums a header the same wherever it lies in memory, bytes above 127 too", () => {
    const h = tarHeader({ name: "\u00ff\u00fe-high-bytes-\u00e9", linkname: "\u00ff".repeat(40) }, 0);
    for (let shift = 0; shift < 8; shift++) {
      const buf = Buffer.alloc(512 + 16);
      h.copy(buf, shift);
      expect(checksumOk(buf, shift)).toBe(true);
      buf[shift + 300] ^= 1;
      expect(checksumOk(buf, shift)).toBe(false);
    }
  });
});

describe("pax records", () => {
  it("keeps binary values byte for byte and parses lengths as bytes", () => {
    const value = Buffer.from([0x01, 0x00, 0x00, 0x02, 0x0a, 0xff, 0x3d]);
    const key = "SCHILY.xattr.security.capability";
    const len = key.length + value.length + 3;
    const rec = Buffer.concat([Buffer.from(`${len + String(len).length} ${key}=`), value, Buffer.from("\n")]);
    const path = Buffer.concat([Buffer.from("11 path=\xe9\xff\n", "latin1")]);
    const out = parsePax(Buffer.concat([rec, path, Buffer.alloc(100)]));
    expect(out[0].key).toBe(key);
    expect(out[0].value.equals(value)).toBe(true);
    expect(out[1].value.toString("latin1")).toBe("\xe9\xff");
  });

  it("rejects a record whose length does not fit", () => {
    expect(() => parsePax(Buffer.from("99 path=x\n"))).toThrow(/malformed pax record/);
  });

  it("reads times with nanoseconds, before 1970 too", () => {
    expect(parsePaxTime("1700000000.123456789")).toEqual({ sec: 1700000000, nsec: 123456789 });
    expect(parsePaxTime("1700000000.5")).toEqual({ sec: 1700000000, nsec: 500000000 });
    expect(parsePaxTime("1700000000")).toEqual({ sec: 1700000000, nsec: 0 });
    expect(parsePaxTime("-1.25")).toEqual({ sec: -2, nsec: 750000000 });
    expect(parsePaxTime("-86400")).toEqual({ sec: -86400, nsec: 0 });
  });

  it("reads nine-digit times, past 2^32 seconds too, and refuses bad digits in them", () => {
    expect(parsePaxTime("1796066148.139874107")).toEqual({ sec: 1796066148, nsec: 139874107 });
    expect(parsePaxTime("0.000000001")).toEqual({ sec: 0, nsec: 1 });
    expect(parsePaxTime("253402300799.999999999")).toEqual({ sec: 253402300799, nsec: 999999999 });
    expect(() => parsePaxTime("17000000a0.123456789")).toThrow(/bad pax time/);
    expect(() => parsePaxTime("1700000000.12345678x")).toThrow(/bad pax time/);
  });

  it("applies global and per-member mtimes in record order, the usual ones read in place", () => {
    const rec = (k: string, v: string) => {
      const body = ` ${k}=${v}\n`;
      let len = body.length + 1;
      if (String(len).length + body.length !== len) len = String(len + 1).length + body.length;
      return `${len}${body}`;
    };
    const times = rec("atime", "5.5") + rec("ctime", "6.000000006");
    const tar = makeTar([
      { name: "g", type: "g", data: rec("mtime", "100.5") },
      { name: "a", data: "1" },
      { name: "x", type: "x", data: rec("mtime", "200.000000007") + times },
      { name: "b", data: "2" },
      { name: "x", type: "x", data: rec("mtime", "") },
      { name: "c", data: "3", mtime: 1600000000 },
      { name: "x", type: "x", data: rec("mtime", "") + rec("mtime", "300.000000001") },
      { name: "d", data: "4" },
      { name: "x", type: "x", data: rec("mtime", "300.000000001") + rec("mtime", "") },
      { name: "e", data: "5", mtime: 1600000001 },
      { name: "x", type: "x", data: rec("mtime", "-1.25") + rec("SCHILY.xattr.user.k", "v") },
      { name: "f", data: "6" },
    ]);
    const seen = readAll(tar, () => 100);
    expect(seen.map((s) => [s.entry.name, s.entry.mtime])).toEqual([
      ["a", { sec: 100, nsec: 500000000 }],
      ["b", { sec: 200, nsec: 7 }],
      ["c", { sec: 1600000000, nsec: 0 }],
      ["d", { sec: 300, nsec: 1 }],
      ["e", { sec: 1600000001, nsec: 0 }],
      ["f", { sec: -2, nsec: 750000000 }],
    ]);
    expect(seen[5].entry.xattrs).toEqual([["user.k", Buffer.from("v").toString("hex")]]);
    const bad = makeTar([{ name: "x", type: "x", data: rec("mtime", "17000000a0.123456789") }, { name: "g", data: "1" }]);
    expect(() => readAll(bad, () => 512)).toThrow(/corrupt pax header for x: bad pax time "17000000a0.123456789"/);
  });

  it("names what is wrong with a record's length", () => {
    expect(() => parsePax(Buffer.from("abc path=x\n"))).toThrow('malformed pax record length "abc"');
    expect(() => parsePax(Buffer.from(" path=x\n"))).toThrow('malformed pax record length ""');
    expect(() => parsePax(Buffer.from("123456789012345678901 path=x\n"))).toThrow("malformed pax record at byte 0");
    expect(() => parsePax(Buffer.from("12"))).toThrow("malformed pax record at byte 0");
  });
});

describe("member names", () => {
  it("drops leading '/', '.' and empty components and refuses '..'", () => {
    expect(memberComponents("/etc//./passwd")).toEqual(["etc", "passwd"]);
    expect(memberComponents("./")).toEqual([]);
    expect(() => memberComponents("a/../../b")).toThrow("entry a/../../b escapes the root (contains '..')");
    expect(memberComponents("a/..b/c..")).toEqual(["a", "..b", "c.."]);
  });

  it("normalizes in one pass exactly as splitting and joining would", () => {
    const names = [
      "./usr/bin/x", "usr/share/", "etc/passwd", "x", "./", ".", "", "/", "//", "./././a", "a/./b", "a//b", "/abs/path",
      "a/..b/c..", ".hidden/.x", "a/.", "a/b/", "a/b//", "..a", "a/.../b", "a\0b", "./.", "././",
    ];
    for (const n of names) {
      let expected: string | Error;
      try {
        expected = memberComponents(n).join("/");
      } catch (e) {
        expected = e as Error;
      }
      if (expected instanceof Error) expect(() => normalizedMember(n)).toThrow(expected.message);
      else expect([n, normalizedMember(n)]).toEqual([n, expected]);
    }
    expect(() => normalizedMember("a/../../b")).toThrow("escapes the root");
    expect(() => normalizedMember("../x", "hardlink target")).toThrow("hardlink target ../x escapes the root");
    expect(normalizedMember("usr/bin/")).toBe("usr/bin");
  });

  it("shows names that are not UTF-8 with escapes", () => {
    expect(display("bad-\xff\xfe")).toBe("bad-\\xff\\xfe");
    expect(display(Buffer.from("ünï", "utf8").toString("latin1"))).toBe("ünï");
  });
});

describe("compression detection", () => {
  it("goes by magic bytes", () => {
    expect(detectCompression(Buffer.from([0x1f, 0x8b, 8, 0, 0, 0]))).toBe("gzip");
    expect(detectCompression(Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0, 0]))).toBe("zstd");
    expect(detectCompression(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]))).toBe("xz");
    expect(detectCompression(Buffer.from("BZh91AY"))).toBe("bzip2");
    expect(detectCompression(Buffer.from("usr/bin"))).toBe("none");
  });
});

describe("chunk boundaries", () => {
  it("gives the same members whatever the chunk sizes (GNU tar pax archive with long names, xattrs, sparse)", () => {
    const dir = mkdtempSync(join(tmpdir(), "tarboot-reader-"));
    try {
      const src = join(dir, "src");
      const long = "d".repeat(150);
      mkdirSync(join(src, long), { recursive: true });
      writeFileSync(join(src, long, "f".repeat(120)), Buffer.alloc(3000, 7));
      writeFileSync(join(src, "small"), "hello");
      execFileSync("bash", ["-c", `cd "$1" && truncate -s 1M sparse && printf x | dd of=sparse bs=1 seek=700000 conv=notrunc status=none && ln -s ${"t".repeat(200)} link && setfattr -n user.k -v 0x00ff small`, "sh", src]);
      const archives: Buffer[] = [];
      for (const fmt of [["--format=pax", "--sparse-version=1.0"], ["--format=pax", "--sparse-version=0.1"], ["--format=gnu"]]) {
        const out = join(dir, "a.tar");
        const x = fmt[0] === "--format=pax" ? ["--xattrs", "--xattrs-include=*"] : [];
        execFileSync("tar", [...fmt, ...x, "-S", "-cf", out, "-C", src, "."]);
        archives.push(execFileSync("cat", [out]));
      }
      archives.push(makeTar([{ name: "a", data: "1" }, { name: "b/", type: "5" }, { name: "b/c", type: "2", linkname: "../a" }]));
      for (const buf of archives) {
        const whole = readAll(buf, () => buf.length);
        expect(whole.length).toBeGreaterThan(2);
        let seed = 12345;
        const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % 1500;
        expect(readAll(buf, () => 1)).toEqual(whole);
        expect(readAll(buf, rand)).toEqual(whole);
        expect(readAll(buf, () => 511)).toEqual(whole);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
