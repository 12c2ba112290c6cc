import { describe, expect, it } from "vitest";
import { selfTimes } from "./profile-summary";

describe("cpuprofile self times", () => {
  it("adds each sample's time delta to the function it landed in, busiest first", () => {
    const frame = (functionName: string, url: string, lineNumber: number) => ({ functionName, url, lineNumber });
    const r = selfTimes({
      nodes: [
        { id: 1, callFrame: frame("(root)", "", -1) },
        { id: 2, callFrame: frame("update", "node:internal/crypto/hash", 144) },
        { id: 3, callFrame: frame("(idle)", "", -1) },
      ],
      samples: [2, 3, 2, 2],
      timeDeltas: [1000, 5000, 1500, 500],
    });
    expect(r.totalMs).toBe(8);
    expect(r.top).toEqual([
      { where: "(idle)", ms: 5 },
      { where: "update crypto/hash:145", ms: 3 },
    ]);
  });
});
