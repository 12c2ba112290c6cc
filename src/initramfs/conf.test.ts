import { describe, expect, it } from "vitest";
import { tokenizeDefaults } from "../cmdline/tokenize";
import { CA_PATH, defaultSettings, parseSetting, renderConf } from "./conf";

describe("/etc/tarboot.conf", () => {
  it("reads back through the init's own command-line tokenizer", () => {
    const settings = ["root=http://srv/base.tar.zst,http://srv/%hostname.tar.gz#sha256=ab", "tarboot.retries=3", "motd=a b\tc", "empty=", "tarboot.retries=5", "x==y"].map(parseSetting);
    const text = renderConf(settings);
    expect(text).toBe(
      "# Boot defaults from tarboot mkinitramfs --set; the kernel command line overrides them.\n" +
        "root=http://srv/base.tar.zst,http://srv/%hostname.tar.gz#sha256=ab\ntarboot.retries=5\nmotd=\"a b\tc\"\nempty=\nx==y\n",
    );
    expect(tokenizeDefaults(text).params).toEqual([
      { name: "root", value: "http://srv/base.tar.zst,http://srv/%hostname.tar.gz#sha256=ab" },
      { name: "tarboot.retries", value: "5" },
      { name: "motd", value: "a b\tc" },
      { name: "empty", value: "" },
      { name: "x", value: "=y" },
    ]);
  });

  it("refuses what the kernel syntax cannot carry", () => {
    expect(() => parseSetting("quiet")).toThrow(/--set 'quiet': expected KEY=VALUE/);
    expect(() => parseSetting("=v")).toThrow(/key before '=' is empty/);
    expect(() => parseSetting("a b=v")).toThrow(/key 'a b' cannot contain spaces/);
    expect(() => parseSetting("#k=v")).toThrow(/start with '#'/);
    expect(() => parseSetting('k=say "hi"')).toThrow(/cannot contain a double quote/);
    expect(() => parseSetting("k=a\nb")).toThrow(/line break/);
  });

  it("points tarboot.ca at the bundled CA unless --set says otherwise", () => {
    expect(defaultSettings(["a=1"], true)).toEqual([{ key: "tarboot.ca", value: CA_PATH }, { key: "a", value: "1" }]);
    expect(defaultSettings(["tarboot.ca=/etc/ssl/other.pem"], true)).toEqual([{ key: "tarboot.ca", value: "/etc/ssl/other.pem" }]);
    expect(defaultSettings([], false)).toEqual([]);
  });
});
