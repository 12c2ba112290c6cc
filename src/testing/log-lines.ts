// The console lines a test's code logs, as messages (without the "tarboot: " prefix or level tag).
import { addLogSink } from "../console/log";

/** Lines logged while `run` runs. The sink stays for the rest of the test file (sinks cannot be removed). */
export async function captureLog(run: () => Promise<unknown>): Promise<string[]> {
  const lines: string[] = [];
  let on = false;
  addLogSink((_level, message) => {
    if (on) lines.push(message);
  });
  on = true;
  try {
    await run();
  } finally {
    on = false;
  }
  return lines;
}
