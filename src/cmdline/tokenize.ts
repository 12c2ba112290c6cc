// Splitting a command line into parameters exactly as the kernel does (lib/cmdline.c next_arg(),
// kernel/params.c parse_args()), so tarboot sees the same `name=value` pairs the kernel saw.
//
// The kernel's rules, which are odd in places but are what users' boot loaders are tested against:
// - parameters are separated by whitespace; a double quote toggles "inside quotes", where
//   whitespace does not separate; there is no escape for a quote;
// - a parameter that starts with `"` (`"a=x y"`) loses that quote and, if it ends in `"`, the last one;
// - a value that starts with `"` (`a="x y"`) loses that quote and, if the parameter ends in `"`, the last one;
//   quotes anywhere else stay (`a=x"y z"` gives the value `x"y z"`);
// - the first `=` splits name from value, except at the very first character;
// - a bare `--` ends the kernel's parameters: the rest are arguments for init, split the same way,
//   each handed over as `name=value` (or just `name`) with the quotes removed; a second `--` ends those too.

/** One parameter before `--`: `name` alone (a flag) has `value` undefined; `name=` has value "". */
export interface CmdlineParam {
  name: string;
  value: string | undefined;
}

export interface TokenizedCmdline {
  params: CmdlineParam[];
  /** Words after a bare `--`, as the kernel gives them to init. */
  afterDashes: string[];
  /** Whether a bare `--` was present at all. */
  sawDashes: boolean;
}

/**
 * The kernel's isspace(): ASCII whitespace, plus 0xA0, which its Latin-1 ctype table also counts as
 * space. Decode /proc/cmdline as latin1 to get byte-for-byte the kernel's split.
 */
export function isKernelSpace(ch: string): boolean {
  return ch === " " || ch === "\t" || ch === "\n" || ch === "\v" || ch === "\f" || ch === "\r" || ch === "\u00a0";
}

function skipSpaces(text: string, pos: number): number {
  while (pos < text.length && isKernelSpace(text[pos])) pos++;
  return pos;
}

/** One step of next_arg(): the parameter starting at `pos` (which is not whitespace) and where the next one starts. */
function nextArg(text: string, pos: number): { param: CmdlineParam; next: number } {
  let start = pos;
  let inQuote = false;
  let quoted = false;
  if (text[start] === '"') {
    start++;
    inQuote = true;
    quoted = true;
  }
  // `equals` is relative to `start`; 0 means "none", so a leading '=' never splits (as in the kernel).
  let equals = 0;
  let i = start;
  for (; i < text.length; i++) {
    const ch = text[i];
    if (isKernelSpace(ch) && !inQuote) break;
    if (equals === 0 && ch === "=") equals = i - start;
    if (ch === '"') inQuote = !inQuote;
  }
  const token = text.slice(start, i);
  const endsInQuote = token.length > 0 && token[token.length - 1] === '"';
  let param: CmdlineParam;
  if (equals === 0) {
    param = { name: quoted && endsInQuote ? token.slice(0, -1) : token, value: undefined };
  } else {
    let valueStart = equals + 1;
    let valueEnd = token.length;
    if (token[valueStart] === '"') {
      valueStart++;
      if (endsInQuote) valueEnd = token.length - 1;
    }
    if (quoted && endsInQuote) valueEnd = token.length - 1;
    param = { name: token.slice(0, equals), value: token.slice(valueStart, Math.max(valueStart, valueEnd)) };
  }
  const next = i < text.length ? i + 1 : i;
  return { param, next: skipSpaces(text, next) };
}

function joined(p: CmdlineParam): string {
  return p.value === undefined ? p.name : `${p.name}=${p.value}`;
}

/** Splits a kernel command line (e.g. the content of /proc/cmdline) into parameters and init's words after `--`. */
export function tokenizeCmdline(text: string): TokenizedCmdline {
  const params: CmdlineParam[] = [];
  const afterDashes: string[] = [];
  let sawDashes = false;
  let pos = skipSpaces(text, 0);
  while (pos < text.length) {
    const { param, next } = nextArg(text, pos);
    pos = next;
    if (param.value === undefined && param.name === "--") {
      // The kernel splits init's words with the same parse_args(), which stops at a second `--`
      // too; what follows that one reaches nobody.
      if (sawDashes) break;
      sawDashes = true;
      continue;
    }
    if (sawDashes) afterDashes.push(joined(param));
    else params.push(param);
  }
  return { params, afterDashes, sawDashes };
}

/**
 * The initramfs defaults file (/etc/tarboot.conf): command-line syntax, one or more parameters per
 * line, and whole lines starting with `#` are comments. A `#` later in a line is data, since layer
 * URLs carry `#sha256=`.
 */
export function tokenizeDefaults(text: string): TokenizedCmdline {
  const kept = text
    .split("\n")
    .filter((line) => !line.trimStart().startsWith("#"))
    .join("\n");
  return tokenizeCmdline(kept);
}
