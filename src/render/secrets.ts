// Which variables are secret, and masking their values out of any text shown to people
// (logs, error messages, `--dry-run` output).
//
// A variable is secret when
//   1. the spec says `secret: true` (and never when it says `secret: false`, whatever the name), else
//   2. its value came from a NAME_FILE file (always, even against `secret: false`), else
//   3. its name matches the secret-name pattern: DEFAULT_SECRET_NAME_PATTERN unless the caller passes another
//      one (or null to switch name-based detection off).

import type { ResolvedConfig } from "./types.js";

/** Names ending in PASSWORD, SECRET, TOKEN, KEY, CREDENTIAL or CREDENTIALS (any case): DB_PASSWORD, API_KEY, GH_TOKEN. */
export const DEFAULT_SECRET_NAME_PATTERN = /(PASSWORD|SECRET|TOKEN|KEY|CREDENTIALS?)$/i;

export const MASK = "********";

/** Rules 1 and 3 above (rule 2 is applied where NAME_FILE values are made). */
export function isSecretName(name: string, specSecret: boolean | undefined, pattern: RegExp | null = DEFAULT_SECRET_NAME_PATTERN): boolean {
  if (specSecret !== undefined) return specSecret;
  return pattern !== null && pattern.test(name);
}

/**
 * The strings to hide: every non-empty secret value, plus its JSON-escaped form when that differs
 * (a multi-line or quoted secret rendered into a .json file), longest first so that a secret containing
 * another secret is masked whole.
 */
export function secretStrings(config: ResolvedConfig): string[] {
  const out = new Set<string>();
  for (const name of config.secrets) {
    const v = config.values.get(name)?.value;
    if (!v) continue;
    out.add(v);
    const escaped = JSON.stringify(v).slice(1, -1);
    if (escaped !== v) out.add(escaped);
  }
  return [...out].sort((a, b) => b.length - a.length);
}

/** Returns a function that replaces every occurrence of every secret value with `********`. */
export function createMasker(config: ResolvedConfig): (text: string) => string {
  const secrets = secretStrings(config);
  if (secrets.length === 0) return (text) => text;
  return (text) => {
    let out = text;
    for (const s of secrets) if (out.includes(s)) out = out.split(s).join(MASK);
    return out;
  };
}

/** Replaces every secret value occurring in `text` with `********` (longest first; empty values skipped). */
export function maskSecrets(text: string, config: ResolvedConfig): string {
  return createMasker(config)(text);
}
