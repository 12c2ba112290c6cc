import { describe, expect, it } from "vitest";
import { tag, untag, vlanOf } from "./vlan-relay";

// An ARP request from 52:54:00:12:34:56, as the guest's eth0.100 sends it before the kernel tags it.
const ARP = Buffer.from("ffffffffffff525400123456" + "0806" + "0001080006040001525400123456", "hex");

describe("802.1Q tags", () => {
  it("tags after the addresses and reads the ID back", () => {
    const tagged = tag(ARP, 100);
    expect(tagged.subarray(12, 18).toString("hex")).toBe("810000640806");
    expect(vlanOf(tagged)).toBe(100);
    expect(vlanOf(ARP)).toBeNull();
    expect(untag(tagged)).toEqual(ARP);
  });

  it("ignores the priority bits when reading the ID", () => {
    const tagged = tag(ARP, 100);
    tagged.writeUInt16BE(0xa064, 14); // priority 5, ID 100
    expect(vlanOf(tagged)).toBe(100);
  });
});
