// One secret sent through every way text leaves `portolan render` / `portolan exec` — validation errors, template
// errors, spawn errors, --wait errors and their log lines, --dry-run, a crash — through both entries (the ES-module
// main.js and bin/portolan's CommonJS bundle): it never appears on stdout or stderr, in any of its forms.
import { spawn, spawnSync } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EXIT_CONFIG, EXIT_OSERR, EXIT_SOFTWARE, EXIT_TEMPFAIL, EXIT_TEMPLATE, EXIT_UNAVAILABLE, EXIT_USAGE } from "../../src/core/exit-codes.js";
import { assertBuilt, CLI } from "./cli.js";

const ROOT = new URL("../../", import.meta.url).pathname;
const BIN = join(ROOT, "bin/portolan");

// Characters that JSON- and URL-encoding change, so each form differs from the raw value.
const SECRET = 'Zq9"sEcr/et\\42';
const PIN = "0042917"; // typed as int: 42917
const FORMS = [SECRET, JSON.stringify(SECRET).slice(1, -1), encodeURIComponent(SECRET), "sEcr", PIN, "42917", "2m30s", "150000"];

let dir: string;
let auth: Server;
let authUrl: string;
beforeAll(async () => {
  assertBuilt();
  dir = await mkdtemp(join(tmpdir(), "portolan-secrets-"));
  await writeFile(join(dir, "secret"), `${SECRET}\n`);
  await writeFile(join(dir, "nul"), `${SECRET}\0tail`);
  await writeFile(
    join(dir, "spec.yaml"),
    [
      "variables:",
      "  DB_PASSWORD: { type: string, secret: true, required: true }",
      "  PIN: { type: int, secret: true }",
      "  WAIT: { type: duration, secret: true }",
      "  PORT: { type: port }",
      "  DATABASE_URL: { type: url, schemes: [postgres] }",
      "  SHORT_TOKEN: { type: string }",
      "",
    ].join("\n"),
  );
  await writeFile(join(dir, "ok.mustache"), "pw={{DB_PASSWORD}} pin={{PIN.typed}} json={{{PIN.json}}} wait={{WAIT.typed}}\n");
  await writeFile(join(dir, "ok.json.mustache"), '{"pw": "{{DB_PASSWORD}}", "url": "postgres://app:{{DB_PASSWORD}}@db/x"}\n');
  await writeFile(join(dir, "bad.mustache"), "x={{DB_PASSWORD}} {{#UNCLOSED}}\n");
  await writeFile(join(dir, "missing.mustache"), "x={{DB_PASSWORD}} {{NOPE}}\n");
  await writeFile(join(dir, "svc.mustache"), "{{#services.db}}{{port}}{{/services.db}}\n");
  auth = createServer((req, res) => {
    res.statusCode = req.headers.authorization === `Basic ${Buffer.from(`app:${SECRET}`).toString("base64")}` ? 200 : 401;
    res.end();
  });
  await new Promise<void>((r) => auth.listen(0, "127.0.0.1", r));
  authUrl = `http://app:${encodeURIComponent(SECRET)}@127.0.0.1:${(auth.address() as AddressInfo).port}/health`;
});
afterAll(async () => {
  await new Promise((r) => auth.close(r));
  await rm(dir, { recursive: true, force: true });
});

const ENTRIES: Array<[string, string, string[]]> = [
  ["main.js", process.execPath, [CLI]],
  ["bin", BIN, []],
];

function run(entry: [string, string, string[]], args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(entry[1], [...entry[2], ...args], { encoding: "utf8", env: { ...process.env, ...env }, timeout: 30_000, cwd: dir });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

function expectNoSecret(out: string): void {
  for (const f of FORMS) expect(out, `form ${JSON.stringify(f)} leaked`).not.toContain(f);
  expect(out).not.toMatch(/\s+at \S+ \(/); // no stack trace either (except the crash case, checked separately)
}

const spec = () => ["--spec", join(dir, "spec.yaml")];
const secretEnv = () => ({ DB_PASSWORD_FILE: join(dir, "secret"), PIN, WAIT: "2m30s" });

const cases: Array<{ name: string; args: () => string[]; env?: () => Record<string, string>; code: number; expect?: string }> = [
  {
    name: "validation_non_secret_values_containing_the_secret",
    args: () => ["render", ...spec()],
    env: () => ({ ...secretEnv(), PORT: SECRET, DATABASE_URL: `mysql://app:${SECRET}@db/x`, SHORT_TOKEN: "abc" }),
    code: EXIT_CONFIG,
    expect: "DATABASE_URL",
  },
  {
    name: "validation_secret_inside_a_long_value_cut_for_display",
    args: () => ["render", ...spec()],
    env: () => ({ ...secretEnv(), DATABASE_URL: `${"x".repeat(68)}${SECRET}${"y".repeat(40)}` }),
    code: EXIT_CONFIG,
    expect: "DATABASE_URL",
  },
  { name: "nul_byte_in_a_name_file_secret", args: () => ["exec", "--", "true"], env: () => ({ API_TOKEN_FILE: join(dir, "nul") }), code: EXIT_CONFIG, expect: "API_TOKEN" },
  { name: "template_syntax_error", args: () => ["render", ...spec(), "--template", `bad.mustache:${dir}/o1`], env: secretEnv, code: EXIT_TEMPLATE },
  { name: "template_unknown_name", args: () => ["render", ...spec(), "--template", `missing.mustache:${dir}/o2`], env: secretEnv, code: EXIT_TEMPLATE, expect: "NOPE" },
  { name: "spawn_error_naming_the_secret", args: () => ["exec", ...spec(), "--", `/nonexistent/${SECRET}`], env: secretEnv, code: EXIT_OSERR },
  {
    name: "wait_timeout_with_the_secret_as_url_password_and_debug_logs",
    args: () => ["exec", ...spec(), "--log-level", "debug", "--wait", `http://app:${encodeURIComponent(SECRET)}@127.0.0.1:1/`, "--wait-timeout", "500ms", "--", "true"],
    env: secretEnv,
    code: EXIT_TEMPFAIL,
    expect: "http://app:********@127.0.0.1:1/",
  },
  {
    name: "registry_uri_with_the_secret_as_credentials_is_refused",
    args: () => ["render", "--log-level", "debug", "--registry", `consul://app:${encodeURIComponent(SECRET)}@127.0.0.1:1`, "--wait-timeout", "1s", "--template", `svc.mustache:${dir}/o5`],
    env: () => ({ CONSUL_HTTP_TOKEN: `token-${SECRET}` }),
    code: EXIT_USAGE,
    expect: "credentials in the URI are not supported",
  },
  {
    name: "registry_unreachable_with_the_secret_as_consul_token",
    args: () => ["render", "--log-level", "debug", "--registry", "consul://127.0.0.1:1", "--wait-timeout", "1s", "--template", `svc.mustache:${dir}/o5`],
    env: () => ({ CONSUL_HTTP_TOKEN: `token-${SECRET}` }),
    code: EXIT_UNAVAILABLE,
    expect: "consul://127.0.0.1:1",
  },
  {
    name: "dry_run_raw_typed_json_and_url_forms",
    args: () => ["render", ...spec(), "--dry-run", "--template", `ok.mustache:${dir}/o3`, "--template", `ok.json.mustache:${dir}/o4.json`],
    env: secretEnv,
    code: 0,
    expect: "pin=******** json=******** wait=********",
  },
];

describe.each(ENTRIES)("%s", (...entry) => {
  cases.forEach((c, i) =>
    it(`${i}_${c.name}`, () => {
      const r = run(entry, c.args(), c.env?.() ?? {});
      expect(r.code, r.out).toBe(c.code);
      expectNoSecret(r.out);
      if (c.expect) expect(r.out).toContain(c.expect);
    }),
  );

  it(`${cases.length}_wait_with_url_credentials_is_basic_auth`, async () => {
    // Asynchronously: the HTTP server lives in this process.
    const p = spawn(entry[1], [...entry[2], "exec", "--wait", authUrl, "--wait-timeout", "10s", "--", "sh", "-c", "echo started"], { cwd: dir });
    let out = "";
    p.stdout.setEncoding("utf8").on("data", (d: string) => (out += d));
    p.stderr.setEncoding("utf8").on("data", (d: string) => (out += d));
    const code = await new Promise<number | null>((res) => p.on("close", res));
    const r = { code, out };
    expect(r.code, r.out).toBe(0);
    expect(r.out).toContain("started");
    expectNoSecret(r.out);
  });
});

describe("crash", () => {
  it("0_an_uncaught_error_is_printed_redacted_and_exits_70", () => {
    // The crash handler every entry installs, in a real process: a secret is known, then a bug throws it.
    const output = join(ROOT, "dist/src/core/output.js");
    const script = `
      const o = await import(${JSON.stringify(output)});
      o.installCrashHandler(${EXIT_SOFTWARE});
      o.addSecrets([${JSON.stringify(SECRET)}]);
      setTimeout(() => { throw new Error("bug with " + ${JSON.stringify(SECRET)} + " and postgres://u:pw12345@db/x"); }, 1);
    `;
    const r = spawnSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8" });
    expect(r.status).toBe(EXIT_SOFTWARE);
    expect(r.stderr).toContain("internal error");
    expect(r.stderr).toContain("bug with ********");
    expect(r.stderr).not.toContain(SECRET);
    expect(r.stderr).not.toContain("pw12345");
  });
});
