// The keys the init trusts for manifests are read from files: Ed25519 only, and a key file the
// operator put there but that cannot be used fails loudly instead of leaving layers unverified.
import { generateKeyPairSync } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { manifestKeyId } from "./manifest";
import { readTrustedKeys } from "./trusted-keys";

const tmp = mkdtempSync(join(tmpdir(), "tarboot-keys-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const pem = (k: ReturnType<typeof generateKeyPairSync>["publicKey"]) => k.export({ format: "pem", type: "spki" });

describe("readTrustedKeys", () => {
  it("no directory: no keys, so manifests are not required", () => {
    expect(readTrustedKeys(join(tmp, "missing"))).toEqual([]);
  });

  it("reads every *.pub in name order with its key id, ignoring other files", () => {
    const dir = join(tmp, "good");
    mkdirSync(dir);
    const a = generateKeyPairSync("ed25519").publicKey;
    const b = generateKeyPairSync("ed25519").publicKey;
    writeFileSync(join(dir, "b.pub"), pem(b));
    writeFileSync(join(dir, "a.pub"), pem(a));
    writeFileSync(join(dir, "README"), "not a key\n");
    const keys = readTrustedKeys(dir);
    expect(keys.map((k) => [k.file, k.id])).toEqual([
      [join(dir, "a.pub"), manifestKeyId(a)],
      [join(dir, "b.pub"), manifestKeyId(b)],
    ]);
    expect(keys[0].key.equals(a)).toBe(true);
  });

  it("a key file that is not an Ed25519 public key fails, naming the file", () => {
    const dir = join(tmp, "bad");
    mkdirSync(dir);
    writeFileSync(join(dir, "rsa.pub"), pem(generateKeyPairSync("rsa", { modulusLength: 1024 }).publicKey));
    expect(() => readTrustedKeys(dir)).toThrow(`${join(dir, "rsa.pub")}: a rsa key; manifests are signed with Ed25519 keys only`);
    writeFileSync(join(dir, "rsa.pub"), "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n");
    expect(() => readTrustedKeys(dir)).toThrow(new RegExp(`^${join(dir, "rsa.pub")}: not a PEM public key`));
  });
});
