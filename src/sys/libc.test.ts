import { describe, expect, it } from "vitest";
import { SysError, check, errnoName } from "./libc";
import { umount } from "./mount";

describe("libc binding", () => {
  it("names errno values", () => {
    expect(errnoName(2)).toBe("ENOENT");
    expect(errnoName(13)).toBe("EACCES");
  });

  it("turns a failed call into a SysError naming the call and its target", () => {
    let caught: unknown;
    try {
      umount("/definitely/not/mounted/here");
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(SysError);
    const err = caught as SysError;
    expect(["EINVAL", "ENOENT", "EPERM"]).toContain(err.code);
    expect(err.message).toContain("umount2(/definitely/not/mounted/here)");
  });

  it("passes non-negative results through", () => {
    expect(check(3, "x")).toBe(3);
  });
});
