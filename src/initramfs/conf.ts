// /etc/tarboot.conf: the boot defaults `tarboot mkinitramfs --set KEY=VALUE` bakes into the
// initramfs. The init reads it with the kernel's own command-line rules (the command line wins),
// so it is written in that syntax, one parameter per line.

export const CONF_PATH = "/etc/tarboot.conf";
export const CA_PATH = "/etc/ssl/certs/tarboot-ca.pem";

export interface ConfSetting {
  key: string;
  value: string;
}

/**
 * One `--set KEY=VALUE`. The kernel's syntax has no escapes, so what it cannot carry is refused
 * here rather than read back differently at boot: a double quote in the value (it would swallow
 * the following lines), line breaks, and keys with spaces, quotes or a leading '#' (a comment).
 */
export function parseSetting(arg: string): ConfSetting {
  const eq = arg.indexOf("=");
  if (eq < 0) throw new Error(`--set '${arg}': expected KEY=VALUE (e.g. --set tarboot.mirrors=http://srv/)`);
  const key = arg.slice(0, eq);
  const value = arg.slice(eq + 1);
  if (key === "") throw new Error(`--set '${arg}': the key before '=' is empty`);
  if (/[\s"]/.test(key) || key.startsWith("#") || key === "--") {
    throw new Error(`--set '${arg}': key '${key}' cannot contain spaces or quotes, or start with '#'`);
  }
  if (value.includes('"')) throw new Error(`--set '${arg}': the value cannot contain a double quote (the kernel command line has no escape for it)`);
  if (/[\n\r]/.test(value)) throw new Error(`--set ${key}=...: the value cannot contain a line break`);
  return { key, value };
}

/** Later settings of a key replace earlier ones, keeping its first position (so output is stable). */
export function mergeSettings(settings: readonly ConfSetting[]): ConfSetting[] {
  const byKey = new Map<string, string>();
  for (const s of settings) byKey.set(s.key, s.value);
  return [...byKey.entries()].map(([key, value]) => ({ key, value }));
}

/** The file's text: a comment, then `KEY=VALUE` lines, values with whitespace as `KEY="a b"`. */
export function renderConf(settings: readonly ConfSetting[]): string {
  const lines = mergeSettings(settings).map(({ key, value }) => (/[\s\u00a0]/.test(value) ? `${key}="${value}"` : `${key}=${value}`));
  return `# Boot defaults from tarboot mkinitramfs --set; the kernel command line overrides them.\n${lines.map((l) => `${l}\n`).join("")}`;
}

/** The defaults to write: tarboot.ca pointing at the bundled CA (when there is one) unless --set names another. */
export function defaultSettings(sets: readonly string[], hasCa: boolean): ConfSetting[] {
  const parsed = sets.map(parseSetting);
  const ca = hasCa && !parsed.some((s) => s.key === "tarboot.ca") ? [{ key: "tarboot.ca", value: CA_PATH }] : [];
  return [...ca, ...parsed];
}
