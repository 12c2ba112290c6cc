// What an unpack produced, counted the same way for both tools, so a run that silently did less
// (a truncated stream, skipped members) cannot look fast.
import { lstatSync, readdirSync } from "node:fs";
import { join } from "node:path";

export interface TreeSummary {
  /** Everything below the root: files, directories, symlinks, devices. */
  entries: number;
  /** Sum of regular file sizes (hard links counted once). */
  bytes: number;
}

export function summarizeTree(root: string): TreeSummary {
  let entries = 0;
  let bytes = 0;
  const seen = new Set<string>();
  const walk = (dir: string) => {
    for (const d of readdirSync(dir, { withFileTypes: true })) {
      entries++;
      const p = join(dir, d.name);
      if (d.isDirectory()) walk(p);
      else if (d.isFile()) {
        const st = lstatSync(p, { bigint: true });
        const key = `${st.dev}:${st.ino}`;
        if (!seen.has(key)) {
          seen.add(key);
          bytes += Number(st.size);
        }
      }
    }
  };
  walk(root);
  return { entries, bytes };
}
