import { describe, expect, it } from "vitest";
import { tokenizeCmdline, tokenizeDefaults } from "./tokenize";

const params = (text: string) => tokenizeCmdline(text).params;

describe("tokenizeCmdline: the kernel's next_arg()", () => {
  it("splits on any whitespace and runs of it, including /proc/cmdline's trailing newline", () => {
    expect(params("  a=1\tb=2 \n c\r\n")).toEqual([
      { name: "a", value: "1" },
      { name: "b", value: "2" },
      { name: "c", value: undefined },
    ]);
    expect(params("")).toEqual([]);
    expect(params(" \n")).toEqual([]);
  });

  it("treats Latin-1 0xA0 as space, as the kernel's ctype does", () => {
    expect(params("a=1\u00a0b=2")).toEqual([
      { name: "a", value: "1" },
      { name: "b", value: "2" },
    ]);
  });

  it("tells a flag (no '=') from an empty value", () => {
    expect(params("quiet hostname=")).toEqual([
      { name: "quiet", value: undefined },
      { name: "hostname", value: "" },
    ]);
  });

  it("splits at the first '=' only", () => {
    expect(params("root=UUID=1234 x=a=b")).toEqual([
      { name: "root", value: "UUID=1234" },
      { name: "x", value: "a=b" },
    ]);
  });

  it("never splits at a leading '=' (equals index 0 means none in the kernel)", () => {
    expect(params("=foo =a=b")).toEqual([
      { name: "=foo", value: undefined },
      { name: "=a", value: "b" },
    ]);
  });

  it('removes quotes around a value: a="x y"', () => {
    expect(params('a="x y" b=2')).toEqual([
      { name: "a", value: "x y" },
      { name: "b", value: "2" },
    ]);
  });

  it('removes quotes around the whole parameter: "a=x y"', () => {
    expect(params('"a=x y" "just words"')).toEqual([
      { name: "a", value: "x y" },
      { name: "just words", value: undefined },
    ]);
  });

  it("keeps quotes that are neither at the start of the value nor of the parameter", () => {
    expect(params('e=f"g h"i')).toEqual([{ name: "e", value: 'f"g h"i' }]);
  });

  it("keeps a trailing part after the closing quote, as the kernel does", () => {
    // The value starts with a quote, but the parameter does not end in one: only the first goes.
    expect(params('a="x y"z')).toEqual([{ name: "a", value: 'x y"z' }]);
  });

  it("runs an unclosed quote to the end of the line", () => {
    expect(params('a="x y b=2')).toEqual([{ name: "a", value: "x y b=2" }]);
  });

  it('gives an empty value for a="" and for a lone a="', () => {
    expect(params('a="" b="')).toEqual([
      { name: "a", value: "" },
      { name: "b", value: "" },
    ]);
  });

  it("keeps repeated parameters in order (the parser lets the last win)", () => {
    expect(params("root=a root=b")).toEqual([
      { name: "root", value: "a" },
      { name: "root", value: "b" },
    ]);
  });
});

describe("tokenizeCmdline: `--`", () => {
  it("hands everything after a bare -- to init, with quotes removed and name=value rejoined", () => {
    const t = tokenizeCmdline('root=http://a/b -- single "a=x y" b="c d" quiet');
    expect(t.params).toEqual([{ name: "root", value: "http://a/b" }]);
    expect(t.afterDashes).toEqual(["single", "a=x y", "b=c d", "quiet"]);
    expect(t.sawDashes).toBe(true);
  });

  it("stops at a second --, as the kernel's second parse_args() does", () => {
    expect(tokenizeCmdline("a -- b -- c").afterDashes).toEqual(["b"]);
  });

  it("does not take --=x or --foo for the separator", () => {
    const t = tokenizeCmdline("--=x --foo");
    expect(t.sawDashes).toBe(false);
    expect(t.params).toEqual([
      { name: "--", value: "x" },
      { name: "--foo", value: undefined },
    ]);
  });

  it("takes a quoted \"--\" as the separator, since the kernel compares after unquoting", () => {
    expect(tokenizeCmdline('a "--" b').afterDashes).toEqual(["b"]);
  });

  it("reports no -- when there is none", () => {
    expect(tokenizeCmdline("a b")).toEqual({
      params: [
        { name: "a", value: undefined },
        { name: "b", value: undefined },
      ],
      afterDashes: [],
      sawDashes: false,
    });
  });
});

describe("tokenizeDefaults", () => {
  it("skips # comment lines and joins one-per-line parameters", () => {
    const text = "# baked in by mkinitramfs\nrootsize=4g\n   # indented comment\ntarboot.mirrors=http://a/,http://b/ quiet\n\n";
    expect(tokenizeDefaults(text).params).toEqual([
      { name: "rootsize", value: "4g" },
      { name: "tarboot.mirrors", value: "http://a/,http://b/" },
      { name: "quiet", value: undefined },
    ]);
  });

  it("keeps # inside a line, where layer checksums live", () => {
    const sha = "a".repeat(64);
    expect(tokenizeDefaults(`root=http://a/b.tar#sha256=${sha}`).params).toEqual([{ name: "root", value: `http://a/b.tar#sha256=${sha}` }]);
  });

  it("lets a quoted value span lines, as whitespace inside quotes", () => {
    expect(tokenizeDefaults('a="x\ny"').params).toEqual([{ name: "a", value: "x\ny" }]);
  });
});
