// POSIX ACLs as `tar --acls` stores them (pax records SCHILY.acl.access and SCHILY.acl.default:
// libacl's long text form, one entry a line, users and groups by name where the archiving host
// had one) turned into the kernel's xattr format (system.posix_acl_access/_default: a version
// word, then tag, permissions and id per entry, in the order the kernel checks for).
//
// GNU tar resolves the names through the extracting host's user database; a node's initramfs has
// none, and the names belong to the image anyway, so they are looked up in the new root's own
// /etc/passwd and /etc/group (see AclNames); the id bsdtar and star write after a name is the
// fallback when the root has no such name.

const VERSION = 2;
const USER_OBJ = 0x01;
const USER = 0x02;
const GROUP_OBJ = 0x04;
const GROUP = 0x08;
const MASK = 0x10;
const OTHER = 0x20;
const UNDEFINED_ID = 0xffffffff;

export type AclKind = "access" | "default";

/** The xattr an ACL of this kind is stored in. */
export function aclXattrName(kind: AclKind): string {
  return `system.posix_acl_${kind}`;
}

/** Looks a name up; undefined when the database has no such user or group. */
export interface IdLookup {
  user(name: string): number | undefined;
  group(name: string): number | undefined;
}

/** A text that is not an ACL, or an ACL the kernel would refuse. */
export class AclError extends Error {
  /** Set when the only problem is a name the lookup does not know (it may know it later). */
  readonly unknownName: boolean;
  constructor(message: string, unknownName = false) {
    super(message);
    this.name = "AclError";
    this.unknownName = unknownName;
  }
}

const TAGS: Record<string, number> = { user: USER_OBJ, u: USER_OBJ, group: GROUP_OBJ, g: GROUP_OBJ, mask: MASK, m: MASK, other: OTHER, o: OTHER };

function parsePerms(text: string, entry: string): number {
  let perms = 0;
  for (const c of text) {
    const bit = c === "r" ? 4 : c === "w" ? 2 : c === "x" ? 1 : c === "-" ? 0 : -1;
    if (bit < 0) throw new AclError(`bad permissions in ACL entry "${entry}"`);
    perms |= bit;
  }
  return perms;
}

/** The xattr value for an ACL text (entries separated by newlines or commas, `#` comments allowed). */
export function aclXattrValue(text: string, ids: IdLookup): Buffer {
  const entries: { tag: number; id: number; perms: number }[] = [];
  const unknown: string[] = [];
  for (const raw of text.split(/[\n,]/)) {
    const line = raw.replace(/#.*/, "").trim();
    if (line === "") continue;
    const parts = line.split(":").map((p) => p.trim());
    // star's and bsdtar's form adds the id after a name: user:alice:r--:1001.
    const starId = parts.length === 4 && /^[0-9]+$/.test(parts[3]) && parts[1] !== "" ? Number(parts[3]) : undefined;
    if ((parts.length !== 3 && starId === undefined) || !Object.hasOwn(TAGS, parts[0])) throw new AclError(`bad ACL entry "${line}"`);
    const [kind, qualifier, permText] = parts;
    let tag = TAGS[kind];
    let id = UNDEFINED_ID;
    if (qualifier !== "") {
      if (tag === USER_OBJ) tag = USER;
      else if (tag === GROUP_OBJ) tag = GROUP;
      else throw new AclError(`ACL entry "${line}" cannot name a user or group`);
      const found = /^[0-9]+$/.test(qualifier) ? Number(qualifier) : ((tag === USER ? ids.user(qualifier) : ids.group(qualifier)) ?? starId);
      if (found === undefined || found >= UNDEFINED_ID) {
        unknown.push(`${tag === USER ? "user" : "group"} ${qualifier}`);
        continue;
      }
      id = found;
    }
    entries.push({ tag, id, perms: parsePerms(permText, line) });
  }
  if (unknown.length > 0) throw new AclError(`unknown ${unknown.join(", ")}`, true);
  entries.sort((a, b) => a.tag - b.tag || a.id - b.id);
  for (let i = 1; i < entries.length; i++) {
    const [a, b] = [entries[i - 1], entries[i]];
    if (a.tag === b.tag && a.id === b.id) throw new AclError("an ACL entry given twice");
  }
  const has = (tag: number) => entries.some((e) => e.tag === tag);
  for (const [tag, what] of [[USER_OBJ, "user::"], [GROUP_OBJ, "group::"], [OTHER, "other::"]] as const) {
    if (!has(tag)) throw new AclError(`the ACL has no ${what} entry`);
  }
  if ((has(USER) || has(GROUP)) && !has(MASK)) throw new AclError("the ACL names users or groups but has no mask:: entry");
  const out = Buffer.alloc(4 + 8 * entries.length);
  out.writeUInt32LE(VERSION, 0);
  entries.forEach((e, i) => {
    out.writeUInt16LE(e.tag, 4 + 8 * i);
    out.writeUInt16LE(e.perms, 6 + 8 * i);
    out.writeUInt32LE(e.id, 8 + 8 * i);
  });
  return out;
}

/** name -> id from a passwd or group file's text (the first field and the third). */
export function parseIdFile(text: string): Map<string, number> {
  const ids = new Map<string, number>();
  for (const line of text.split("\n")) {
    const f = line.split(":");
    if (f.length < 3 || f[0] === "" || f[0].startsWith("#") || !/^[0-9]+$/.test(f[2])) continue;
    if (!ids.has(f[0])) ids.set(f[0], Number(f[2]));
  }
  return ids;
}

/** Reads a file of the new root, or null when it is missing or not a regular file. */
export type RootFileReader = (rel: string) => { key: string; text: string } | null;

/**
 * Users and groups of the root being unpacked, from its /etc/passwd and /etc/group as they are
 * at the time of asking (a layer may bring them after the files whose ACLs name them).
 */
export class AclNames implements IdLookup {
  private readonly cache = new Map<string, { key: string; ids: Map<string, number> }>();
  constructor(private readonly read: RootFileReader) {}

  user(name: string): number | undefined {
    return this.table("etc/passwd").get(name);
  }

  group(name: string): number | undefined {
    return this.table("etc/group").get(name);
  }

  private table(rel: string): Map<string, number> {
    const file = this.read(rel);
    if (!file) return new Map();
    const cached = this.cache.get(rel);
    if (cached?.key === file.key) return cached.ids;
    const ids = parseIdFile(file.text);
    this.cache.set(rel, { key: file.key, ids });
    return ids;
  }
}
