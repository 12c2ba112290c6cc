import { describe, expect, it } from "vitest";
import { problems } from "../testing/cmdline-problems";
import {
  classfulNetmask,
  isIpv4,
  parseAbsolutePath,
  parseBootif,
  parseFlag,
  parseHostname,
  parseInteger,
  parseInterfaceName,
  parseMode,
  parseNetmask,
  parseRootSize,
  parseStages,
  prefixToNetmask,
} from "./values";

describe("parseRootSize", () => {
  it("takes a percentage of RAM", () => {
    expect(parseRootSize("50%")).toEqual({ kind: "percent", percent: 50 });
    expect(parseRootSize("1%")).toEqual({ kind: "percent", percent: 1 });
    expect(parseRootSize("100%")).toEqual({ kind: "percent", percent: 100 });
  });

  it("takes bytes with binary k/m/g suffixes, either case", () => {
    expect(parseRootSize("1048576")).toEqual({ kind: "bytes", bytes: 1048576 });
    expect(parseRootSize("100k")).toEqual({ kind: "bytes", bytes: 102400 });
    expect(parseRootSize("512m")).toEqual({ kind: "bytes", bytes: 512 * 2 ** 20 });
    expect(parseRootSize("4g")).toEqual({ kind: "bytes", bytes: 4 * 2 ** 30 });
    expect(parseRootSize("4G")).toEqual({ kind: "bytes", bytes: 4 * 2 ** 30 });
    expect(parseRootSize("2K")).toEqual({ kind: "bytes", bytes: 2048 });
    expect(parseRootSize("1M")).toEqual({ kind: "bytes", bytes: 2 ** 20 });
  });

  it("rejects zero, more than all of RAM, garbage and fractions", () => {
    expect(problems(() => parseRootSize("banana"))).toEqual(["not a size"]);
    expect(problems(() => parseRootSize("0"))).toEqual(["0 leaves no room for the root"]);
    expect(problems(() => parseRootSize("0g"))).toEqual(["0 leaves no room for the root"]);
    expect(problems(() => parseRootSize("0%"))).toEqual(["0% leaves no room for the root"]);
    expect(problems(() => parseRootSize("101%"))).toEqual(["more than 100% of RAM"]);
    expect(problems(() => parseRootSize("1.5g"))).toEqual(["not a size"]);
    expect(problems(() => parseRootSize("4gb"))).toEqual(["not a size"]);
    expect(problems(() => parseRootSize("4t"))).toEqual(["not a size"]);
    expect(problems(() => parseRootSize("-1"))).toEqual(["not a size"]);
    expect(problems(() => parseRootSize("50 %"))).toEqual(["not a size"]);
    expect(problems(() => parseRootSize(""))).toEqual(["not a size"]);
    expect(problems(() => parseRootSize(undefined))).toEqual(["needs a value"]);
    expect(problems(() => parseRootSize("99999999999g"))).toEqual(["too large"]);
  });
});

describe("parseMode", () => {
  it("reads octal with or without the leading 0, special bits included", () => {
    expect(parseMode("0755")).toBe(0o755);
    expect(parseMode("755")).toBe(0o755);
    expect(parseMode("1777")).toBe(0o1777);
    expect(parseMode("07777")).toBe(0o7777);
    expect(parseMode("0")).toBe(0);
  });

  it("rejects non-octal digits and modes above 07777", () => {
    expect(problems(() => parseMode("0855"))).toEqual(["not an octal mode"]);
    expect(problems(() => parseMode("rwxr-xr-x"))).toEqual(["not an octal mode"]);
    expect(problems(() => parseMode("0o755"))).toEqual(["not an octal mode"]);
    expect(problems(() => parseMode("17777"))).toEqual(["more than 07777"]);
    expect(problems(() => parseMode(""))).toEqual(["not an octal mode"]);
  });
});

describe("parseInteger", () => {
  it("takes decimal whole numbers in range", () => {
    expect(parseInteger("8", 1, 1000)).toBe(8);
    expect(parseInteger("-5", -10, 10)).toBe(-5);
    expect(parseInteger("-0", -10, 10)).toBe(0);
    expect(Object.is(parseInteger("-0", -10, 10), -0)).toBe(false);
  });

  it("rejects words, fractions, hex, blanks and out-of-range values", () => {
    expect(problems(() => parseInteger("eight", 1, 10))).toEqual(["not a whole number"]);
    expect(problems(() => parseInteger("1.5", 1, 10))).toEqual(["not a whole number"]);
    expect(problems(() => parseInteger("0x10", 1, 100))).toEqual(["not a whole number"]);
    expect(problems(() => parseInteger("", 1, 10))).toEqual(["empty"]);
    expect(problems(() => parseInteger(undefined, 1, 10))).toEqual(["needs a value"]);
    expect(problems(() => parseInteger("0", 1, 10))).toEqual(["out of range (1 to 10)"]);
    expect(problems(() => parseInteger("11", 1, 10))).toEqual(["out of range (1 to 10)"]);
  });
});

describe("parseFlag", () => {
  it("is on when bare, and takes the usual yes/no words either case", () => {
    expect(parseFlag(undefined)).toBe(true);
    for (const v of ["1", "y", "yes", "true", "on", "YES"]) expect(parseFlag(v)).toBe(true);
    for (const v of ["0", "n", "no", "false", "off", "Off"]) expect(parseFlag(v)).toBe(false);
  });

  it("rejects anything else", () => {
    expect(problems(() => parseFlag("maybe"))).toEqual(["not a yes/no value"]);
    expect(problems(() => parseFlag(""))).toEqual(["not a yes/no value"]);
  });
});

describe("parseAbsolutePath", () => {
  it("takes absolute paths only", () => {
    expect(parseAbsolutePath("/sbin/init")).toBe("/sbin/init");
    expect(problems(() => parseAbsolutePath("sbin/init"))).toEqual(["not an absolute path"]);
    expect(problems(() => parseAbsolutePath(""))).toEqual(["empty"]);
    expect(problems(() => parseAbsolutePath("/bin/\x01x"))).toEqual(["contains a control character"]);
  });
});

describe("parseHostname", () => {
  it("takes RFC 1123 names, dotted or not", () => {
    for (const h of ["node17", "n", "1node", "node-17", "node17.cluster.example", "A".repeat(63)]) expect(parseHostname(h)).toBe(h);
  });

  it("rejects what RFC 1123 does not allow", () => {
    expect(problems(() => parseHostname("-node"))).toEqual(['label "-node" is not letters, digits and inner hyphens']);
    expect(problems(() => parseHostname("node-"))).toEqual(['label "node-" is not letters, digits and inner hyphens']);
    expect(problems(() => parseHostname("node_17"))).toEqual(['label "node_17" is not letters, digits and inner hyphens']);
    expect(problems(() => parseHostname("node.."))).toEqual(["has an empty label (two dots, or a dot at either end)"]);
    expect(problems(() => parseHostname("node."))).toEqual(["has an empty label (two dots, or a dot at either end)"]);
    expect(problems(() => parseHostname(""))).toEqual(["has an empty label (two dots, or a dot at either end)"]);
    expect(problems(() => parseHostname("a".repeat(64)))[0]).toMatch(/longer than 63/);
    expect(problems(() => parseHostname(Array(64).fill("abcd").join("."))))
      .toEqual(["longer than 253 characters"]);
  });
});

describe("IPv4 and netmasks", () => {
  it("accepts only strict dotted quads", () => {
    for (const ip of ["0.0.0.0", "10.0.0.5", "255.255.255.255", "192.168.1.1"]) expect(isIpv4(ip)).toBe(true);
    for (const ip of ["1.2.3", "1.2.3.4.5", "256.1.1.1", "01.2.3.4", "1.2.3.-4", "a.b.c.d", "1..2.3", " 1.2.3.4", ""]) expect(isIpv4(ip)).toBe(false);
  });

  it("takes dotted netmasks and prefix lengths, returning dotted", () => {
    expect(parseNetmask("255.255.255.0")).toBe("255.255.255.0");
    expect(parseNetmask("255.255.240.0")).toBe("255.255.240.0");
    expect(parseNetmask("24")).toBe("255.255.255.0");
    expect(parseNetmask("/20")).toBe("255.255.240.0");
    expect(parseNetmask("0")).toBe("0.0.0.0");
    expect(parseNetmask("32")).toBe("255.255.255.255");
    expect(prefixToNetmask(8)).toBe("255.0.0.0");
  });

  it("rejects non-contiguous masks, big prefixes and non-masks", () => {
    expect(problems(() => parseNetmask("255.0.255.0"))).toEqual(['netmask "255.0.255.0" has non-contiguous bits']);
    expect(problems(() => parseNetmask("0.255.255.255"))).toEqual(['netmask "0.255.255.255" has non-contiguous bits']);
    expect(problems(() => parseNetmask("33"))).toEqual(['netmask "33": a prefix length is 0 to 32']);
    expect(problems(() => parseNetmask("255.255.255"))).toEqual(['netmask "255.255.255" is neither a dotted netmask nor a prefix length']);
  });

  it("picks the classful mask the kernel would", () => {
    expect(classfulNetmask("10.1.2.3")).toBe("255.0.0.0");
    expect(classfulNetmask("172.16.0.1")).toBe("255.255.0.0");
    expect(classfulNetmask("192.168.1.5")).toBe("255.255.255.0");
  });
});

describe("parseInterfaceName", () => {
  it("follows the kernel's dev_valid_name()", () => {
    expect(parseInterfaceName("enp0s3")).toBe("enp0s3");
    expect(parseInterfaceName("a".repeat(15))).toBe("a".repeat(15));
    expect(problems(() => parseInterfaceName("a".repeat(16)))[0]).toMatch(/longer than 15/);
    expect(problems(() => parseInterfaceName("eth/0"))[0]).toMatch(/not an interface name/);
    expect(problems(() => parseInterfaceName(".."))[0]).toMatch(/not an interface name/);
  });
});

describe("parseBootif", () => {
  it("strips PXELINUX's ARP type 01 and writes the MAC with colons, lowercase", () => {
    expect(parseBootif("01-52-54-00-AB-cd-EF")).toBe("52:54:00:ab:cd:ef");
  });

  it("takes a bare MAC with dashes or colons", () => {
    expect(parseBootif("52-54-00-12-34-56")).toBe("52:54:00:12:34:56");
    expect(parseBootif("52:54:00:12:34:56")).toBe("52:54:00:12:34:56");
  });

  it("rejects other hardware types, wrong lengths and garbage", () => {
    expect(problems(() => parseBootif("20-52-54-00-12-34-56"))).toEqual(["hardware type 20 is not Ethernet (01)"]);
    expect(problems(() => parseBootif("01-52-54-00-12-34"))).toEqual(["01:52:54:00:12:34 is a multicast address, not a NIC's (an octet missing?)"]);
    expect(problems(() => parseBootif("01-52-54-00-12"))).toEqual(["5 octets, not an Ethernet address"]);
    expect(problems(() => parseBootif("01-52-54-00-12-34-56-78"))).toEqual(["8 octets, not an Ethernet address"]);
    expect(problems(() => parseBootif("01-33-33-00-00-00-01"))).toEqual(["33:33:00:00:00:01 is a multicast address, not a NIC's (an octet missing?)"]);
    expect(problems(() => parseBootif("01-5-54-00-12-34-56"))).toEqual(["not a hardware address"]);
    expect(problems(() => parseBootif("xx-52-54-00-12-34-56"))).toEqual(["not a hardware address"]);
    expect(problems(() => parseBootif(undefined))).toEqual(["needs a value"]);
  });
});

describe("parseStages", () => {
  it("reads a comma list, deduplicated, in boot order", () => {
    expect(parseStages("init,premount,init")).toEqual(["premount", "init"]);
    expect(parseStages("top,premount,mount,bottom,init")).toEqual(["top", "premount", "mount", "bottom", "init"]);
  });

  it("makes a bare break mean premount, as initramfs-tools does, and an empty one mean none", () => {
    expect(parseStages(undefined)).toEqual(["premount"]);
    expect(parseStages("")).toEqual([]);
  });

  it("names every unknown stage", () => {
    expect(problems(() => parseStages("modules,mount,mountroot"))).toEqual(['unknown stage "modules", "mountroot"']);
    expect(problems(() => parseStages("premount,"))).toEqual(['unknown stage ""']);
  });
});
