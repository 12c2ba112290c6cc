import { describe, expect, it } from "vitest";
import { locatePayload } from "./vmlinux";

describe("locatePayload", () => {
  it("reads payload_offset and payload_length after the setup sectors", () => {
    const bz = Buffer.alloc(0x400);
    bz.write("HdrS", 0x202, "latin1");
    bz[0x1f1] = 39;
    bz.writeUInt32LE(716, 0x248);
    bz.writeUInt32LE(8122480, 0x24c);
    expect(locatePayload(bz)).toEqual({ offset: 40 * 512 + 716, length: 8122480 });
  });

  it("refuses something that is not a bzImage", () => {
    expect(() => locatePayload(Buffer.alloc(0x400))).toThrow(/not a bzImage/);
  });
});
