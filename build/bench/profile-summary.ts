// A V8 .cpuprofile reduced to self time per function, for a table on the console.

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

export interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface SelfTime {
  /** `name file:line`, e.g. `update crypto/hash:145`, `(idle)`, `(garbage collector)`. */
  where: string;
  ms: number;
}

export function selfTimes(p: CpuProfile): { totalMs: number; top: SelfTime[] } {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const acc = new Map<string, number>();
  let total = 0;
  for (let i = 0; i < p.samples.length; i++) {
    const n = byId.get(p.samples[i]);
    if (!n) continue;
    const file = n.callFrame.url.split("/").slice(-2).join("/");
    const where = file ? `${n.callFrame.functionName || "(anonymous)"} ${file}:${n.callFrame.lineNumber + 1}` : n.callFrame.functionName || "(native)";
    const us = p.timeDeltas[i] ?? 0;
    acc.set(where, (acc.get(where) ?? 0) + us);
    total += us;
  }
  const top = [...acc.entries()].map(([where, us]) => ({ where, ms: us / 1000 })).sort((a, b) => b.ms - a.ms);
  return { totalMs: total / 1000, top };
}
