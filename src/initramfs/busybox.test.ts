import { describe, expect, it } from "vitest";
import { appletLinks, inspectBusybox } from "./busybox";

describe("busybox for the rescue shell", () => {
  it("takes Debian's busybox-static and links the rescue applets it has", async () => {
    const applets = await inspectBusybox("/bin/busybox");
    expect(applets).toContain("sh");
    const links = appletLinks(applets);
    expect(links).toEqual(expect.arrayContaining(["sh", "ls", "ip", "mount", "cttyhack", "setsid", "modprobe"]));
    expect(links).not.toContain("init");
    expect(links).not.toContain("linuxrc");
    expect(appletLinks(["sh", "ls", "frobnicate"])).toEqual(["ls", "sh"]);
  });

  it("refuses a dynamic executable and a non-ELF file, saying why", async () => {
    await expect(inspectBusybox("/bin/ls")).rejects.toThrow(/--busybox \/bin\/ls: dynamically linked \(interpreter \/lib64\/ld-linux-x86-64\.so\.2; needs .*libc\.so\.6\); the rescue shell needs a static busybox/);
    await expect(inspectBusybox("/etc/passwd")).rejects.toThrow(/--busybox \/etc\/passwd: not an ELF executable/);
    await expect(inspectBusybox("/nonexistent/busybox")).rejects.toThrow(/ENOENT/);
  });
});
