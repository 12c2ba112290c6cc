import { describe, expect, it } from "vitest";
import { AclError, AclNames, aclXattrValue, parseIdFile } from "./acl";

const ids = { user: (n: string) => ({ daemon: 1, alice: 2001 })[n as "daemon"], group: (n: string) => ({ daemon: 1, staff: 50 })[n as "daemon"] };

describe("ACL text to the kernel's xattr", () => {
  it("gives the bytes GNU tar --acls sets (read back with getfattr from its extraction)", () => {
    // As tar --acls stores it: names where the archiving host had one, one entry a line.
    const text = "user::rw-\nuser:daemon:r--\nuser:4242:rwx\ngroup::r--\nmask::rwx\nother::---\n";
    expect(aclXattrValue(text, ids).toString("hex")).toBe(
      "02000000" + "01000600ffffffff" + "0200040001000000" + "0200070092100000" + "04000400ffffffff" + "10000700ffffffff" + "20000000ffffffff",
    );
  });

  it("sorts entries as the kernel wants them, reads commas, short tags and comments", () => {
    const a = aclXattrValue("o::r,m::rwx,g:staff:r-x #effective:r-x,g::r--,u:alice:rw-,u:daemon:r--,u::rwx", ids);
    const b = aclXattrValue("user::rwx\nuser:daemon:r--\nuser:alice:rw-\ngroup::r--\ngroup:staff:r-x\nmask::rwx\nother::r--\n", ids);
    expect(a).toEqual(b);
    // user:daemon (1) before user:alice (2001): by id, not by the order written.
    expect(a.readUInt32LE(4 + 8 + 4)).toBe(1);
    expect(a.readUInt32LE(4 + 16 + 4)).toBe(2001);
  });

  it("reads bsdtar's form (the id after the name), the root's own name winning over that id", () => {
    const text = "user::rw-,group::r--,other::r--,user:cloudsdk:r--:1000,group:staff:rwx:7,user:alice:r--:9,mask::rwx";
    expect(aclXattrValue(text, ids)).toEqual(aclXattrValue("user::rw-\nuser:1000:r--\nuser:2001:r--\ngroup::r--\ngroup:50:rwx\nmask::rwx\nother::r--", ids));
    expect(() => aclXattrValue("user::rw-,user:x:r--:notanumber,group::r--,mask::r--,other::---", ids)).toThrow('bad ACL entry "user:x:r--:notanumber"');
  });

  it("refuses what the kernel would, naming the problem", () => {
    const bad = (t: string) => () => aclXattrValue(t, ids);
    expect(bad("user::rw-\nuser:4242:r--\ngroup::r--\nother::---")).toThrow("the ACL names users or groups but has no mask:: entry");
    expect(bad("user::rw-\nother::---")).toThrow("the ACL has no group:: entry");
    expect(bad("user::rw-\ngroup::r--\nother::---\nuser::r--")).toThrow("an ACL entry given twice");
    expect(bad("user::rwz\ngroup::r--\nother::---")).toThrow('bad permissions in ACL entry "user::rwz"');
    expect(bad("constructor::rw-")).toThrow('bad ACL entry "constructor::rw-"');
    expect(bad("mask:daemon:rw-")).toThrow('ACL entry "mask:daemon:rw-" cannot name a user or group');
  });

  it("says which names it does not know, so that the caller can ask again later", () => {
    let err: unknown;
    try {
      aclXattrValue("user::rw-\nuser:bob:r--\ngroup:wheel:r--\ngroup::r--\nmask::r--\nother::---", ids);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(AclError);
    expect((err as AclError).message).toBe("unknown user bob, group wheel");
    expect((err as AclError).unknownName).toBe(true);
  });
});

describe("the root's users and groups", () => {
  it("reads passwd and group files, the first of a name winning, and reads again when the file changes", () => {
    expect(parseIdFile("root:x:0:0::/root:/bin/sh\n# comment\nbroken\nalice:x:2001:2001::/home/alice:/bin/sh\nalice:x:9:9::/:/bin/sh\n")).toEqual(
      new Map([["root", 0], ["alice", 2001]]),
    );
    const files: Record<string, { key: string; text: string }> = { "etc/passwd": { key: "1", text: "alice:x:2001:2001::/:/bin/sh\n" } };
    const names = new AclNames((rel) => files[rel] ?? null);
    expect(names.user("alice")).toBe(2001);
    expect(names.group("alice")).toBeUndefined();
    files["etc/passwd"] = { key: "2", text: "alice:x:3001:3001::/:/bin/sh\n" };
    files["etc/group"] = { key: "1", text: "alice:x:3001:\n" };
    expect(names.user("alice")).toBe(3001);
    expect(names.group("alice")).toBe(3001);
  });
});
