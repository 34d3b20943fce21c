// Redaction of text before it leaves the process (pure). Two rules, applied to every log line, error message,
// dry-run output and crash report (src/core/output.ts applies them at the one place text is written):
//
// 1. Every form of every known secret is replaced by MASK: the raw value, its JSON-escaped form (a secret inside
//    a JSON log line or a .json output), its URL-encoded form (a secret inside a URL), and its typed form (an
//    `int` secret "+0042" renders as 42 through `{{PIN.typed}}`, a `duration` secret "1m" as 60000, JSON of a
//    list). Longest first, so a secret containing another is masked whole.
// 2. URL credentials are always redacted, secret or not: `scheme://user:password@` -> `scheme://user:********@`,
//    `scheme://token@` -> `scheme://********@`.
//
// A secret shorter than MIN_SECRET_LENGTH (in any of its forms) cannot be masked safely: masking every "7" of a
// dry run reveals the secret by where the masks are. Configuration loading refuses such secrets (secretFormsProblem).

export const MASK = "********";

/** Shortest secret (in every form) that can be masked without revealing it by the pattern of masks. */
export const MIN_SECRET_LENGTH = 4;

// scheme://USERINFO@ — USERINFO stops at whitespace, quotes, brackets and the delimiters of a URL's authority;
// greedy, so an unencoded "@" inside a password (mysql://u:p@ss@db) is still part of the credentials. The
// lookbehind starts a scheme only at the start of a word: without it, a long run of letters (a base64 blob in a
// dry run) would be rescanned from each of its characters, in quadratic time.
const URL_USERINFO = /(?<![A-Za-z0-9+.-])([A-Za-z][A-Za-z0-9+.-]*:\/\/)([^\s/?#@"'<>`\\]*(?:@[^\s/?#@"'<>`\\]*)*)@/g;

/** `scheme://user:pw@host` -> `scheme://user:********@host`; `scheme://token@host` -> `scheme://********@host`. */
export function redactUrlCredentials(text: string): string {
  if (!text.includes("://")) return text;
  return text.replace(URL_USERINFO, (_m, scheme: string, info: string) => {
    if (info === "") return `${scheme}@`;
    const colon = info.indexOf(":");
    return colon >= 0 ? `${scheme}${info.slice(0, colon)}:${MASK}@` : `${scheme}${MASK}@`;
  });
}

/** How a typed value appears in text: numbers and booleans as written by String(), anything else as JSON. */
function typedText(typed: unknown): string | undefined {
  if (typed === undefined || typed === null) return undefined;
  if (typeof typed === "string" || typeof typed === "number" || typeof typed === "boolean" || typeof typed === "bigint") return String(typed);
  return JSON.stringify(typed);
}

/** Every form in which a secret (raw string, spec-typed value) can appear in output; empty for an empty secret. */
export function secretForms(raw: string, typed?: unknown): string[] {
  if (raw === "") return [];
  const forms = new Set<string>([raw, JSON.stringify(raw).slice(1, -1)]);
  try {
    forms.add(encodeURIComponent(raw));
  } catch {
    // lone surrogates cannot be URL-encoded: no such form
  }
  const t = typedText(typed);
  if (t !== undefined && t !== "") {
    forms.add(t);
    forms.add(JSON.stringify(t).slice(1, -1));
  }
  return [...forms];
}

/** Why these forms cannot be masked safely (undefined when they can): names no value, only lengths. */
export function secretFormsProblem(raw: string, forms: string[]): string | undefined {
  if (raw.length < MIN_SECRET_LENGTH) return `is a secret shorter than ${MIN_SECRET_LENGTH} characters, which cannot be masked safely in output`;
  if (forms.some((f) => f.length < MIN_SECRET_LENGTH)) return `is a secret whose typed form is shorter than ${MIN_SECRET_LENGTH} characters, which cannot be masked safely in output`;
  return undefined;
}

/** Holds the secrets known so far and applies both rules. Secrets are only ever added, never removed. */
export class Redactor {
  private secrets: string[] = [];
  private readonly known = new Set<string>();

  /** Adds secret forms (see secretForms); forms shorter than MIN_SECRET_LENGTH are ignored (refused earlier). */
  add(forms: Iterable<string>): void {
    let changed = false;
    for (const f of forms) {
      if (f.length < MIN_SECRET_LENGTH || this.known.has(f)) continue;
      this.known.add(f);
      changed = true;
    }
    if (changed) this.secrets = [...this.known].sort((a, b) => b.length - a.length);
  }

  get size(): number {
    return this.known.size;
  }

  redact(text: string): string {
    let out = text;
    for (const s of this.secrets) if (out.includes(s)) out = out.split(s).join(MASK);
    return redactUrlCredentials(out);
  }
}
