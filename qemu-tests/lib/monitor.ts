// QEMU's human monitor on a Unix socket, for what a test does to the machine while it boots:
// `set_link nic1 off` pulls a NIC's cable (the guest sees carrier go).
import { connect } from "node:net";

/** The QEMU arguments for a monitor at `path`, not waited for. */
export function monitorArgs(path: string): string[] {
  return ["-monitor", `unix:${path},server=on,wait=off`];
}

/** Runs one monitor command; resolves with what QEMU printed after it (bounded by `timeoutMs`). */
export function monitorCommand(path: string, command: string, timeoutMs = 5000): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = connect(path);
    let out = "";
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error(`QEMU monitor ${path}: no answer to "${command}" within ${timeoutMs} ms; got: ${out}`));
    }, timeoutMs);
    sock.setEncoding("utf8");
    sock.on("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    let sentAt = -1;
    sock.on("data", (chunk: string) => {
      out += chunk;
      // The banner ends with the first prompt; the command's output ends with the next one.
      const prompts = out.split("(qemu)").length - 1;
      if (sentAt < 0 && prompts >= 1) {
        sentAt = out.length;
        sock.write(`${command}\n`);
      } else if (sentAt >= 0 && prompts >= 2) {
        clearTimeout(timer);
        sock.end();
        // The monitor echoes the command as it is typed (with cursor escapes), up to the newline.
        const after = out.slice(sentAt, out.lastIndexOf("(qemu)"));
        resolve(after.slice(after.indexOf("\n") + 1).replace(/\x1b\[[0-9;]*[A-Za-z]/g, "").trim());
      }
    });
  });
}
