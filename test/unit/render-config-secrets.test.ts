import { describe, expect, it } from "vitest";
import { createMasker, DEFAULT_SECRET_NAME_PATTERN, isSecretName, MASK, maskSecrets } from "../../src/render/secrets.js";
import type { ResolvedConfig } from "../../src/render/types.js";

function config(vars: Record<string, [string, boolean]>): ResolvedConfig {
  const values: ResolvedConfig["values"] = new Map();
  const secrets = new Set<string>();
  for (const [name, [value, secret]] of Object.entries(vars)) {
    values.set(name, { value, typed: value, secret, source: { kind: "process-env" } });
    if (secret) secrets.add(name);
  }
  return { values, secrets };
}

describe("maskSecrets", () => {
  const rows: Array<[string, Record<string, [string, boolean]>, string, string]> = [
    ["every occurrence", { A: ["hunter2", true] }, "pw=hunter2 again hunter2", `pw=${MASK} again ${MASK}`],
    ["non-secret values untouched", { A: ["hunter2", false] }, "pw=hunter2", "pw=hunter2"],
    ["longest first", { A: ["abcd", true], B: ["abcdefg", true] }, "x abcdefg y abcd", `x ${MASK} y ${MASK}`],
    ["empty secret skipped", { A: ["", true] }, "nothing to hide", "nothing to hide"],
    ["multi-line secret, raw", { K: ["-----BEGIN\nxyz\n-----END", true] }, "key: -----BEGIN\nxyz\n-----END.", `key: ${MASK}.`],
    ["multi-line secret, JSON-escaped", { K: ['line1\nli"ne2', true] }, '{"k":"line1\\nli\\"ne2"}', `{"k":"${MASK}"}`],
    ["special regex characters", { A: ["a.*(b)$", true] }, "v=a.*(b)$ and aXXb", `v=${MASK} and aXXb`],
  ];
  rows.forEach(([name, vars, text, want], i) =>
    it(`${i}_${name}`, () => {
      expect(maskSecrets(text, config(vars))).toBe(want);
      expect(createMasker(config(vars))(text)).toBe(want);
    }),
  );
});

describe("isSecretName", () => {
  const rows: Array<[string, boolean | undefined, RegExp | null | undefined, boolean]> = [
    ["DB_PASSWORD", undefined, undefined, true],
    ["api_key", undefined, undefined, true],
    ["GITHUB_TOKEN", undefined, undefined, true],
    ["CLIENT_SECRET", undefined, undefined, true],
    ["AWS_CREDENTIALS", undefined, undefined, true],
    ["GCP_CREDENTIAL", undefined, undefined, true],
    ["PASSWORD_POLICY", undefined, undefined, false],
    ["PORT", undefined, undefined, false],
    ["PUBLIC_KEY", false, undefined, false],
    ["OPAQUE", true, undefined, true],
    ["DB_PASSWORD", undefined, null, false],
    ["MY_PRIVATE", undefined, /PRIVATE$/, true],
  ];
  rows.forEach(([name, spec, pattern, want], i) =>
    it(`${i}_${name}`, () => {
      expect(isSecretName(name, spec, pattern === undefined ? DEFAULT_SECRET_NAME_PATTERN : pattern)).toBe(want);
    }),
  );
});
