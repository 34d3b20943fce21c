import { describe, expect, it } from "vitest";
import { createMasker, DEFAULT_SECRET_NAME_PATTERN, isSecretName, MASK, maskSecrets } from "../../src/render/secrets.js";
import { loadConfig } from "../../src/render/config.js";
import { ConfigError } from "../../src/render/errors.js";
import { parseSpec } from "../../src/render/spec.js";
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

describe("loadConfig: secrets in problems and the onSecrets hook", () => {
  const SECRET = "Hunter2-xyz";
  async function load(processEnv: Record<string, string>, specText?: string, files: Record<string, string> = {}) {
    const forms: string[] = [];
    const spec = specText ? await parseSpec(specText, "spec.yaml") : undefined;
    const o = {
      envFiles: [],
      format: "systemd" as const,
      processEnv,
      ...(spec && { spec }),
      readFile: async (p: string) => {
        if (p in files) return files[p]!;
        throw Object.assign(new Error("nope"), { code: "ENOENT" });
      },
      onSecrets: (f: string[]) => forms.push(...f),
    };
    const result = await loadConfig(o).then(
      (c) => ({ config: c, error: undefined }),
      (e: unknown) => ({ config: undefined, error: e as ConfigError }),
    );
    return { ...result, forms };
  }
  const SPEC = "variables:\n  DB_PASSWORD: { required: true }\n  PORT: port\n  DATABASE_URL: { type: url, schemes: [postgres] }\n  PIN: { type: int, secret: true }\n";

  const rows: Array<{ name: string; env: Record<string, string>; codes: string[]; variable: string }> = [
    { name: "port_holding_the_secret", env: { DB_PASSWORD: SECRET, PORT: SECRET }, codes: ["invalid"], variable: "PORT" },
    { name: "url_with_the_secret_as_password", env: { DB_PASSWORD: SECRET, DATABASE_URL: `mysql://u:${SECRET}@db/x` }, codes: ["invalid"], variable: "DATABASE_URL" },
    { name: "secret_cut_by_shortening", env: { DB_PASSWORD: SECRET, DATABASE_URL: `${"x".repeat(70)}${SECRET}` }, codes: ["invalid"], variable: "DATABASE_URL" },
    { name: "nul_byte", env: { DB_PASSWORD: `${SECRET}\0x` }, codes: ["invalid"], variable: "DB_PASSWORD" },
    { name: "one_character_secret", env: { DB_PASSWORD: "x" }, codes: ["secret-too-short"], variable: "DB_PASSWORD" },
    { name: "typed_form_too_short", env: { DB_PASSWORD: SECRET, PIN: "0007" }, codes: ["secret-too-short"], variable: "PIN" },
  ];
  rows.forEach((r, i) =>
    it(`${i}_${r.name}`, async () => {
      const { error } = await load(r.env, SPEC);
      expect(error).toBeInstanceOf(ConfigError);
      expect(error!.problems.map((p) => p.code)).toEqual(r.codes);
      expect(error!.problems[0]!.variable).toBe(r.variable);
      const text = error!.format();
      expect(text).not.toContain(SECRET);
      expect(text).not.toContain("Hunter");
      expect(text).not.toContain("0007");
    }),
  );

  it(`${rows.length}_typed_forms_reach_the_hook`, async () => {
    const { config, forms } = await load({ DB_PASSWORD: SECRET, PIN: "+04242" }, SPEC);
    expect(config?.values.get("PIN")?.typed).toBe(4242);
    expect(forms).toContain(SECRET);
    expect(forms).toContain("4242");
    expect(forms).toContain("%2B04242");
  });

  it(`${rows.length + 1}_hook_called_before_a_config_error`, async () => {
    const { error, forms } = await load({ DB_PASSWORD: SECRET, PORT: "0" }, SPEC);
    expect(error).toBeInstanceOf(ConfigError);
    expect(forms).toContain(SECRET);
  });

  it(`${rows.length + 2}_name_file_secret_with_nul`, async () => {
    const { error } = await load({ API_TOKEN_FILE: "/run/secrets/t" }, undefined, { "/run/secrets/t": `${SECRET}\0` });
    expect(error!.problems.map((p) => [p.code, p.variable])).toEqual([["invalid", "API_TOKEN"]]);
    expect(error!.format()).not.toContain(SECRET);
  });
});
