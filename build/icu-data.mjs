// Trims the ICU data the official Node binary embeds (33 MB of the 126 MB executable: every locale,
// every legacy charset, break-iterator dictionaries) to English, the idea of Node's own "small-icu"
// build (tools/icu/icu_small.json in Node's tree, which keeps root and "en"). An init formats no
// dates or currencies in Japanese, and the 8.5 MB these bytes take compressed were decompressed by the
// kernel at every boot and counted against the initramfs size. Other locales fall back to English.
// The package keeps its place in .rodata; the freed tail is zeroed, which compresses to nothing.

const ELF_SHT_SYMTAB = 2;

/** Address, file offset and size of the first defined symbol whose name matches `pattern` (ELF64 little-endian). */
export function findElfSymbol(elf, pattern) {
  if (elf.readUInt32BE(0) !== 0x7f454c46 || elf[4] !== 2 || elf[5] !== 1) throw new Error("not a 64-bit little-endian ELF file");
  const shoff = Number(elf.readBigUInt64LE(0x28));
  const shentsize = elf.readUInt16LE(0x3a);
  const shnum = elf.readUInt16LE(0x3c);
  const section = (i) => {
    const at = shoff + i * shentsize;
    return {
      type: elf.readUInt32LE(at + 4),
      addr: Number(elf.readBigUInt64LE(at + 0x10)),
      offset: Number(elf.readBigUInt64LE(at + 0x18)),
      size: Number(elf.readBigUInt64LE(at + 0x20)),
      link: elf.readUInt32LE(at + 0x28),
      entsize: Number(elf.readBigUInt64LE(at + 0x38)),
    };
  };
  for (let i = 0; i < shnum; i++) {
    const symtab = section(i);
    if (symtab.type !== ELF_SHT_SYMTAB) continue;
    const strtab = section(symtab.link);
    for (let at = symtab.offset; at + symtab.entsize <= symtab.offset + symtab.size; at += symtab.entsize) {
      const shndx = elf.readUInt16LE(at + 6);
      if (shndx === 0 || shndx >= 0xff00) continue;
      const nameAt = strtab.offset + elf.readUInt32LE(at);
      const name = elf.toString("latin1", nameAt, elf.indexOf(0, nameAt));
      if (!pattern.test(name)) continue;
      const home = section(shndx);
      const value = Number(elf.readBigUInt64LE(at + 8));
      return { name, vaddr: value, offset: value - home.addr + home.offset, size: Number(elf.readBigUInt64LE(at + 16)) };
    }
  }
  throw new Error(`no symbol matching ${pattern} (a stripped binary?)`);
}

/**
 * An ICU common-data package ("CmnD"): a header, then a table of contents (count, then name and data
 * offsets relative to the table) sorted by name, the names, and the items on 16-byte boundaries.
 */
export function parseIcuPackage(pkg) {
  if (pkg[2] !== 0xda || pkg[3] !== 0x27 || pkg.toString("latin1", 12, 16) !== "CmnD" || pkg[8] !== 0) {
    throw new Error("not a little-endian ICU common data package");
  }
  const headerSize = pkg.readUInt16LE(0);
  const count = pkg.readUInt32LE(headerSize);
  const items = [];
  for (let i = 0; i < count; i++) {
    const nameAt = headerSize + pkg.readUInt32LE(headerSize + 4 + 8 * i);
    const start = headerSize + pkg.readUInt32LE(headerSize + 8 + 8 * i);
    items.push({ name: pkg.toString("latin1", nameAt, pkg.indexOf(0, nameAt)), start, end: 0 });
  }
  // The last item runs to the end of the package (the symbol's size says where that is).
  items.forEach((item, i) => (item.end = i + 1 < count ? items[i + 1].start : pkg.length));
  return { headerSize, items };
}

/** A new package holding the items `keep` accepts, in the original (sorted) order. */
export function writeIcuPackage(pkg, keep) {
  const { headerSize, items } = parseIcuPackage(pkg);
  const kept = items.filter((item) => keep(item.name));
  const names = Buffer.concat(kept.map((item) => Buffer.from(`${item.name}\0`, "latin1")));
  const tocSize = 4 + 8 * kept.length;
  const align = (n) => (n + 15) & ~15;
  let dataAt = align(headerSize + tocSize + names.length) - headerSize;
  const out = Buffer.alloc(headerSize + dataAt + kept.reduce((n, item) => n + align(item.end - item.start), 0));
  pkg.copy(out, 0, 0, headerSize);
  out.writeUInt32LE(kept.length, headerSize);
  let nameAt = tocSize;
  kept.forEach((item, i) => {
    out.writeUInt32LE(nameAt, headerSize + 4 + 8 * i);
    out.writeUInt32LE(dataAt, headerSize + 8 + 8 * i);
    nameAt += Buffer.byteLength(item.name, "latin1") + 1;
    pkg.copy(out, headerSize + dataAt, item.start, item.end);
    dataAt += align(item.end - item.start);
  });
  names.copy(out, headerSize + tocSize);
  return { pkg: out, kept: kept.length, dropped: items.length - kept.length };
}

const LOCALES = new Set(["root", "en", "en_US", "en_US_POSIX"]);
/**
 * Trees of per-locale data, kept for the locales above. small-icu drops some trees altogether (unit,
 * lang, region, brkitr...), which makes Intl.NumberFormat with units or Intl.Segmenter throw; in
 * English they cost 160 KB compressed. Transliteration is not reachable from JavaScript.
 */
const LOCALE_TREES = new Set(["", "brkitr", "coll", "curr", "lang", "rbnf", "region", "unit", "zone"]);
/** Top-level items small-icu drops; cnvalias.icu is kept, it is tiny and names the built-in converters. */
const DROPPED_FILES = new Set(["postalCodeData.res", "genderList.res", "unames.icu", "confusables.cfu", "confusablesWholeScript.cfu"]);
const LOCALE_BUNDLE = /^([a-z]{2,3}(?:_[A-Za-z0-9]*)*)\.res$/;

/** Whether the English subset keeps one item (`icudt78l/coll/de.res`: no). */
export function englishIcuKeeps(name) {
  const parts = name.split("/").slice(1);
  const file = parts.pop();
  const tree = parts.join("/");
  if (!LOCALE_TREES.has(tree)) return false;
  if (tree === "" && (DROPPED_FILES.has(file) || file.endsWith(".cnv"))) return false;
  // Word dictionaries for Chinese, Japanese, Thai, Khmer, Lao and Burmese line breaking.
  if (file.endsWith(".dict")) return false;
  if (file === "res_index.res") return true;
  const locale = LOCALE_BUNDLE.exec(file);
  return !locale || LOCALES.has(locale[1]);
}

/** Replaces the ICU package embedded in an unstripped Node executable (in place) by its English subset. */
export function trimEmbeddedIcu(exe) {
  const symbol = findElfSymbol(exe, /^icudt\d+_dat$/);
  const original = exe.subarray(symbol.offset, symbol.offset + symbol.size);
  const { pkg, kept, dropped } = writeIcuPackage(original, englishIcuKeeps);
  if (pkg.length > original.length) throw new Error("trimmed ICU package is larger than the original");
  pkg.copy(original);
  original.fill(0, pkg.length);
  // The zeroed tail, by address: elf-gap.mjs cuts it out of the final file.
  const zeros = { start: symbol.vaddr + pkg.length, end: symbol.vaddr + symbol.size };
  return { symbol: symbol.name, before: symbol.size, after: pkg.length, kept, dropped, zeros };
}
