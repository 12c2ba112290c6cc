import { describe, expect, it } from "vitest";
import { BootError } from "../console/errors";
import { expandTemplate, TEMPLATE_NAMES, templateNamesIn, templateProblems } from "./template";
import type { TemplateVars } from "./types";

const vars: TemplateVars = { hostname: "node17", fqdn: "node17.cluster.example", mac: "52-54-00-12-34-56", ip: "10.0.0.17", arch: "amd64", kernel: "6.1.0-41-amd64" };

function thrown(f: () => unknown): BootError {
  try {
    f();
  } catch (err) {
    expect(err).toBeInstanceOf(BootError);
    return err as BootError;
  }
  throw new Error("did not throw");
}

describe("expandTemplate", () => {
  it("knows exactly hostname, fqdn, mac, ip, arch, kernel, uuid", () => {
    expect([...TEMPLATE_NAMES]).toEqual(["hostname", "fqdn", "mac", "ip", "arch", "kernel", "uuid"]);
  });

  it("fills in the firmware's system UUID, and says when the firmware has none worth the name", () => {
    expect(expandTemplate("http://srv/nodes/%uuid.tar.zst", { ...vars, uuid: "4c4c4544-0035-3010-8030-b4c04f4e3732" }, "layer 2/2")).toBe(
      "http://srv/nodes/4c4c4544-0035-3010-8030-b4c04f4e3732.tar.zst",
    );
    expect(thrown(() => expandTemplate("http://a/%uuid", { arch: "x" }, "layer 1/1")).message).toContain("needs %uuid, but the firmware gives no system UUID");
  });

  it("fills in the kernel release, a self-built kernel's + included", () => {
    expect(expandTemplate("http://srv/modules-%kernel.tar.zst", vars, "layer 2/2")).toBe("http://srv/modules-6.1.0-41-amd64.tar.zst");
    expect(expandTemplate("http://srv/m/%{kernel}.tar", { ...vars, kernel: "6.12.0-rc3+" }, "l")).toBe("http://srv/m/6.12.0-rc3+.tar");
    expect(thrown(() => expandTemplate("http://a/%kernel", { arch: "x" }, "layer 1/1")).message).toContain("needs %kernel, but the running kernel's release");
  });

  it("fills in every known name", () => {
    expect(expandTemplate("http://srv/%arch/%hostname-%mac-%ip/%fqdn.tar.gz", vars, "layer 1/1")).toBe(
      "http://srv/amd64/node17-52-54-00-12-34-56-10.0.0.17/node17.cluster.example.tar.gz",
    );
  });

  it("fills in the seed example's per-host layer", () => {
    expect(expandTemplate("http://srv/%hostname.tar.gz", vars, "layer 2/2")).toBe("http://srv/node17.tar.gz");
  });

  it("leaves percent-escapes alone, so signed object-store URLs survive", () => {
    const signed =
      "https://bucket.s3.amazonaws.com/%hostname.tar.zst?X-Amz-Algorithm=AWS4-HMAC-SHA256" +
      "&X-Amz-Credential=AKIA%2F20260101%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Signature=ab%3D%3d";
    expect(expandTemplate(signed, vars, "layer 1/1")).toBe(signed.replace("%hostname", "node17"));
    expect(expandTemplate("http://a/%2F%2f%41%ff", vars, "l")).toBe("http://a/%2F%2f%41%ff");
  });

  it("ends a name at the first non-letter, and takes %{name} when letters follow", () => {
    expect(expandTemplate("http://a/%ip_%hostname2/%{arch}bin", vars, "l")).toBe("http://a/10.0.0.17_node172/amd64bin");
  });

  it("writes %mac as aa-bb-cc-dd-ee-ff lowercase whatever form the value came in", () => {
    expect(expandTemplate("http://a/%mac", { ...vars, mac: "52:54:00:AB:CD:EF" }, "l")).toBe("http://a/52-54-00-ab-cd-ef");
  });

  it("names the layer, the URL and the missing value", () => {
    const e = thrown(() => expandTemplate("http://srv/%hostname.tar.gz", { arch: "amd64" }, "layer 2/2"));
    expect(e.message).toBe(
      "layer 2/2 http://srv/%hostname.tar.gz needs %hostname, but no host name is known (give hostname= or have the DHCP server send one, option 12)",
    );
    expect(thrown(() => expandTemplate("http://a/%fqdn", { arch: "x" }, "layer 1/1")).message).toContain("needs %fqdn, but no fully qualified name");
    expect(thrown(() => expandTemplate("http://a/%mac", { arch: "x" }, "layer 1/1")).message).toContain("needs %mac, but the boot interface's MAC");
    expect(thrown(() => expandTemplate("http://a/%ip", { arch: "x", hostname: "" }, "layer 1/1")).message).toContain("needs %ip, but no IPv4 address");
    expect(thrown(() => expandTemplate("http://a/%arch", { arch: "" }, "layer 1/1")).message).toContain("needs %arch");
  });

  it("refuses a value that would change the URL's structure", () => {
    const e = thrown(() => expandTemplate("http://srv/%hostname.tar.gz", { ...vars, hostname: "a/../b" }, "layer 1/1"));
    expect(e.message).toBe(
      'layer 1/1 http://srv/%hostname.tar.gz: %hostname is "a/../b", which cannot go into a URL as it is (letters, digits, . _ ~ + - only)',
    );
    expect(() => expandTemplate("http://a/%mac", { ...vars, mac: "not-a-mac" }, "l")).toThrow(/%mac is "not-a-mac"/);
  });

  it("rejects unknown names even here (for callers that skip the parser)", () => {
    expect(() => expandTemplate("http://a/%host", vars, "layer 1/1")).toThrow("layer 1/1 http://a/%host: unknown template %host");
  });
});

describe("templateProblems", () => {
  it("is empty for known names, escapes and plain text", () => {
    expect(templateProblems("http://srv/%hostname/%2F%{mac}%ip%fqdn%arch.tar")).toEqual([]);
    expect(templateProblems("")).toEqual([]);
  });

  it("names an unknown %word and lists the known ones", () => {
    expect(templateProblems("http://srv/%host.tar.gz")).toEqual([
      "unknown template %host (known: %hostname %fqdn %mac %ip %arch %kernel %uuid; %XX with two hex digits is a URL escape)",
    ]);
    expect(templateProblems("http://srv/%HOSTNAME")[0]).toMatch(/^unknown template %HOSTNAME/);
    expect(templateProblems("http://srv/%{nope}")[0]).toMatch(/^unknown template %\{nope\}/);
  });

  it("rejects %% and stray % with the way to write a literal %", () => {
    expect(templateProblems("http://a/100%%")).toEqual([
      '"%%" is neither a URL escape (%XX, two hex digits) nor a template; a literal % is written %25',
    ]);
    expect(templateProblems("http://a/%")).toEqual([
      '"%" is neither a URL escape (%XX, two hex digits) nor a template; a literal % is written %25',
    ]);
    expect(templateProblems("http://a/%2")).toEqual(['"%2" is neither a URL escape (%XX, two hex digits) nor a template; a literal % is written %25']);
    expect(templateProblems("http://a/%zz")[0]).toMatch(/unknown template %zz/);
    expect(templateProblems("http://a/%-1")[0]).toMatch(/^"%-1" is neither/);
  });

  it("reports an unclosed %{", () => {
    expect(templateProblems("http://a/%{hostname")).toEqual(['unclosed %{ in "%{hostname"']);
  });

  it("reports every problem in the text", () => {
    expect(templateProblems("http://a/%x/%y")).toHaveLength(2);
  });
});

describe("templateNamesIn", () => {
  it("lists the names used, once each, in order", () => {
    expect(templateNamesIn("http://a/%mac/%hostname/%2F/%mac/%{arch}")).toEqual(["mac", "hostname", "arch"]);
    expect(templateNamesIn("http://a/b")).toEqual([]);
  });
});
