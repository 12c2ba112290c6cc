import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { englishIcuKeeps, findElfSymbol, parseIcuPackage, trimEmbeddedIcu, writeIcuPackage } from "./icu-data.mjs";

/** A CmnD package as ICU's pkgdata lays it out: header, table of contents, names, 16-byte aligned items. */
function makePackage(items: Array<[string, Buffer]>): Buffer {
  const header = Buffer.alloc(32);
  header.writeUInt16LE(32, 0);
  header[2] = 0xda;
  header[3] = 0x27;
  header.writeUInt16LE(20, 4);
  header.write("CmnD", 12, "latin1");
  const all = items;
  const toc = Buffer.alloc(4 + 8 * all.length);
  toc.writeUInt32LE(all.length, 0);
  const names = Buffer.concat(all.map(([n]) => Buffer.from(`${n}\0`, "latin1")));
  let nameAt = toc.length;
  let dataAt = Math.ceil((32 + toc.length + names.length) / 16) * 16 - 32;
  const body: Buffer[] = [];
  all.forEach(([n, data], i) => {
    toc.writeUInt32LE(nameAt, 4 + 8 * i);
    toc.writeUInt32LE(dataAt, 8 + 8 * i);
    nameAt += n.length + 1;
    const padded = Buffer.alloc(Math.ceil(data.length / 16) * 16);
    data.copy(padded);
    body.push(padded);
    dataAt += padded.length;
  });
  const head = Buffer.concat([header, toc, names]);
  return Buffer.concat([head, Buffer.alloc(Math.ceil(head.length / 16) * 16 - head.length), ...body]);
}

describe("ICU package rewriting", () => {
  const items: Array<[string, Buffer]> = [
    ["icudt78l/coll/de.res", Buffer.from("german collation")],
    ["icudt78l/coll/root.res", Buffer.from("root collation, thirty-three bytes")],
    ["icudt78l/en.res", Buffer.from("english")],
    ["icudt78l/ibm-943_P15A-2003.cnv", Buffer.from("shift-jis table")],
    ["icudt78l/zu_ZA.res", Buffer.from("zulu")],
  ];

  it("keeps the chosen items, in order, on 16-byte boundaries, with their bytes", () => {
    const pkg = makePackage(items);
    const parsed = parseIcuPackage(pkg);
    expect(parsed.items.map((i) => i.name)).toEqual(items.map(([n]) => n));
    const { pkg: out, kept, dropped } = writeIcuPackage(pkg, (n) => n.endsWith("root.res") || n.endsWith("en.res"));
    expect([kept, dropped]).toEqual([2, 3]);
    const again = parseIcuPackage(out);
    expect(again.items.map((i) => i.name)).toEqual(["icudt78l/coll/root.res", "icudt78l/en.res"]);
    for (const item of again.items) {
      expect(item.start % 16).toBe(0);
      const original = items.find(([n]) => n === item.name)![1];
      expect(out.subarray(item.start, item.start + original.length).toString()).toBe(original.toString());
    }
    expect(out.subarray(0, 32)).toEqual(pkg.subarray(0, 32));
  });

  it("refuses what is not a little-endian package", () => {
    const pkg = makePackage(items);
    pkg.write("ToCP", 12, "latin1");
    expect(() => parseIcuPackage(pkg)).toThrow(/not a little-endian ICU common data package/);
  });

  it("keeps English and the locale-independent data, drops other locales, charsets and dictionaries", () => {
    const keeps = [
      "icudt78l/root.res", "icudt78l/en.res", "icudt78l/en_US_POSIX.res", "icudt78l/res_index.res", "icudt78l/pool.res",
      "icudt78l/coll/ucadata.icu", "icudt78l/coll/en.res", "icudt78l/zone/tzdbNames.res", "icudt78l/unit/root.res",
      "icudt78l/nfkc.nrm", "icudt78l/uts46.nrm", "icudt78l/cnvalias.icu", "icudt78l/supplementalData.res",
      "icudt78l/zoneinfo64.res", "icudt78l/brkitr/word.brk", "icudt78l/rfc3491.spp",
    ];
    const drops = [
      "icudt78l/de.res", "icudt78l/en_GB.res", "icudt78l/coll/de__PHONEBOOK.res", "icudt78l/coll/es_.res",
      "icudt78l/curr/ja.res", "icudt78l/euc-tw-2014.cnv", "icudt78l/brkitr/cjdict.dict", "icudt78l/translit/el_Latn.res",
      "icudt78l/unames.icu", "icudt78l/confusables.cfu",
    ];
    expect(keeps.filter((n) => !englishIcuKeeps(n))).toEqual([]);
    expect(drops.filter((n) => englishIcuKeeps(n))).toEqual([]);
  });
});

// The pinned Node 24 that runs the tests is the unstripped official binary the build starts from.
// sea.test.ts runs a trimmed executable.
describe("the Node binary's ICU data", () => {
  it("is one package of thousands of items, and its English subset is under a quarter of it", () => {
    const exe = readFileSync(process.execPath);
    const symbol = findElfSymbol(exe, /^icudt\d+_dat$/);
    expect(parseIcuPackage(exe.subarray(symbol.offset, symbol.offset + symbol.size)).items.length).toBeGreaterThan(1000);
    const trimmed = trimEmbeddedIcu(exe);
    expect(trimmed.after).toBeLessThan(trimmed.before / 4);
    expect(trimmed.zeros).toEqual({ start: symbol.vaddr + trimmed.after, end: symbol.vaddr + symbol.size });
    expect(exe.subarray(symbol.offset + trimmed.after, symbol.offset + symbol.size).every((b) => b === 0)).toBe(true);
  });
});
