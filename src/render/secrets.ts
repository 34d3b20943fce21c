// Which variables are secret, and masking their values out of any text shown to people
// (logs, error messages, `--dry-run` output).
//
// A variable is secret when
//   1. the spec says `secret: true` (and never when it says `secret: false`, whatever the name), else
//   2. its value came from a NAME_FILE file (always, even against `secret: false`), else
//   3. its name matches the secret-name pattern: DEFAULT_SECRET_NAME_PATTERN unless the caller passes another
//      one (or null to switch name-based detection off).

import { MASK, Redactor, secretForms } from "../core/redact.js";
import type { ResolvedConfig } from "./types.js";

export { MASK };

/** Names ending in PASSWORD, SECRET, TOKEN, KEY, CREDENTIAL or CREDENTIALS (any case): DB_PASSWORD, API_KEY, GH_TOKEN. */
export const DEFAULT_SECRET_NAME_PATTERN = /(PASSWORD|SECRET|TOKEN|KEY|CREDENTIALS?)$/i;

/** Rules 1 and 3 above (rule 2 is applied where NAME_FILE values are made). */
export function isSecretName(name: string, specSecret: boolean | undefined, pattern: RegExp | null = DEFAULT_SECRET_NAME_PATTERN): boolean {
  if (specSecret !== undefined) return specSecret;
  return pattern !== null && pattern.test(name);
}

/**
 * The strings to hide: every form (raw, JSON-escaped, URL-encoded, typed; see core/redact.ts) of every non-empty
 * secret value, longest first so that a secret containing another secret is masked whole.
 */
export function secretStrings(config: ResolvedConfig): string[] {
  const out = new Set<string>();
  for (const name of config.secrets) {
    const v = config.values.get(name);
    if (v) for (const f of secretForms(v.value, v.typed)) out.add(f);
  }
  return [...out].sort((a, b) => b.length - a.length);
}

/** Returns a function that masks every form of every secret value, and URL credentials (core/redact.ts). */
export function createMasker(config: ResolvedConfig): (text: string) => string {
  const r = new Redactor();
  r.add(secretStrings(config));
  return (text) => r.redact(text);
}

/** Masks every secret value occurring in `text` with `********` (longest first; empty values skipped). */
export function maskSecrets(text: string, config: ResolvedConfig): string {
  return createMasker(config)(text);
}
