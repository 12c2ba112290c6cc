// `%name` templates in layer URLs. They are checked when the command line is parsed (so a typo fails
// before anything is mounted) and expanded once the network is up and the values are known.
//
// Grammar, at each `%`:
// - `%XX` with two hex digits is a URL escape and stays as it is (signed object-store URLs have many);
// - `%name` is a template: the name is the run of letters after `%` (so `%hostname-x` and `%ip_1` work);
// - `%{name}` is the same, for when letters follow (`%{arch}bin`);
// - anything else is an error, an unknown name included; `%%` too: a literal `%` is `%25` in a URL.
import { BootError } from "../console/errors";
import type { TemplateVars } from "./types";

export const TEMPLATE_NAMES = ["hostname", "fqdn", "mac", "ip", "arch", "kernel", "uuid"] as const;
export type TemplateName = (typeof TEMPLATE_NAMES)[number];

type Piece = { kind: "text"; text: string } | { kind: "var"; name: TemplateName } | { kind: "bad"; problem: string };

const HEX2 = /^[0-9A-Fa-f]{2}$/;
const LETTERS = /^[A-Za-z]+/;
const KNOWN = `${TEMPLATE_NAMES.map((n) => `%${n}`).join(" ")}`;

function isName(word: string): word is TemplateName {
  return (TEMPLATE_NAMES as readonly string[]).includes(word);
}

function unknown(written: string): string {
  return `unknown template ${written} (known: ${KNOWN}; %XX with two hex digits is a URL escape)`;
}

function lex(text: string): Piece[] {
  const pieces: Piece[] = [];
  let literal = "";
  let i = 0;
  const flush = () => {
    if (literal) pieces.push({ kind: "text", text: literal });
    literal = "";
  };
  while (i < text.length) {
    const pct = text.indexOf("%", i);
    if (pct < 0) {
      literal += text.slice(i);
      break;
    }
    literal += text.slice(i, pct);
    const rest = text.slice(pct + 1);
    if (HEX2.test(rest.slice(0, 2))) {
      literal += text.slice(pct, pct + 3);
      i = pct + 3;
      continue;
    }
    flush();
    if (rest.startsWith("{")) {
      const close = rest.indexOf("}");
      if (close < 0) {
        pieces.push({ kind: "bad", problem: `unclosed %{ in ${JSON.stringify(text.slice(pct))}` });
        return pieces;
      }
      const word = rest.slice(1, close);
      pieces.push(isName(word) ? { kind: "var", name: word } : { kind: "bad", problem: unknown(`%{${word}}`) });
      i = pct + 1 + close + 1;
      continue;
    }
    const word = LETTERS.exec(rest)?.[0];
    if (word) {
      pieces.push(isName(word) ? { kind: "var", name: word } : { kind: "bad", problem: unknown(`%${word}`) });
      i = pct + 1 + word.length;
      continue;
    }
    // `%%` is one mistake, not two.
    const shown = rest.startsWith("%") ? "%%" : text.slice(pct, pct + 3);
    pieces.push({
      kind: "bad",
      problem: `${JSON.stringify(shown)} is neither a URL escape (%XX, two hex digits) nor a template; a literal % is written %25`,
    });
    i = pct + (shown === "%%" ? 2 : 1);
  }
  flush();
  return pieces;
}

/** What is wrong with the `%` sequences of a URL or name; empty when it can be expanded later. */
export function templateProblems(text: string): string[] {
  return lex(text).flatMap((p) => (p.kind === "bad" ? [p.problem] : []));
}

/** The template names a URL uses, in order of first use. */
export function templateNamesIn(text: string): TemplateName[] {
  const names: TemplateName[] = [];
  for (const p of lex(text)) if (p.kind === "var" && !names.includes(p.name)) names.push(p.name);
  return names;
}

const MISSING: Record<TemplateName, string> = {
  hostname: "no host name is known (give hostname= or have the DHCP server send one, option 12)",
  fqdn: "no fully qualified name is known (the host name has no domain and the lease gave none, option 15)",
  mac: "the boot interface's MAC address is not known",
  ip: "no IPv4 address is known (ip=off?)",
  arch: "the machine architecture is not known",
  kernel: "the running kernel's release is not known",
  uuid: "the firmware gives no system UUID a machine can be told by (missing, or a placeholder every board shares)",
};

/** Characters a value may bring into a URL unescaped (RFC 3986 "unreserved"); `+` too, which kernel releases carry (6.1.0-rc1+). */
const SAFE = /^[A-Za-z0-9._~+-]+$/;
const MAC = /^[0-9a-f]{2}(?:[-:][0-9a-f]{2}){5}$/i;

function valueOf(name: TemplateName, vars: TemplateVars): string | undefined {
  const v = vars[name];
  if (v === undefined || v === "") return undefined;
  return name === "mac" && MAC.test(v) ? v.toLowerCase().replaceAll(":", "-") : v;
}

/**
 * Replaces %hostname %fqdn %mac %ip %arch %kernel %uuid in `url` (URL escapes stay as they are). `where` names the
 * layer in messages, e.g. "layer 2/3". Throws a BootError naming the layer, the URL and the value
 * that is missing or unusable.
 */
export function expandTemplate(url: string, vars: TemplateVars, where: string): string {
  let out = "";
  for (const p of lex(url)) {
    if (p.kind === "text") {
      out += p.text;
      continue;
    }
    if (p.kind === "bad") throw new BootError("mount", `${where} ${url}: ${p.problem}`);
    const value = valueOf(p.name, vars);
    if (value === undefined) throw new BootError("mount", `${where} ${url} needs %${p.name}, but ${MISSING[p.name]}`);
    if (!SAFE.test(value) || (p.name === "mac" && !MAC.test(value))) {
      throw new BootError(
        "mount",
        `${where} ${url}: %${p.name} is ${JSON.stringify(value)}, which cannot go into a URL as it is (letters, digits, . _ ~ + - only)`,
      );
    }
    out += value;
  }
  return out;
}
