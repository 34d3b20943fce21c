// What --help and the docs pages (docs/*.md) say about a flag is what the program does: log levels and registry schemes of
// render/exec, the --ttl-refresh minimum, the range --retry-attempts accepts, `catalog serve` without --registry,
// the DNS port of a --listen without one, an --env-dir that does not exist. Help runs the built CLI.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LOG_LEVELS } from "../../src/core/log-level.js";
import { EXIT_CONFIG, EXIT_USAGE } from "../../src/core/exit-codes.js";
import { MIN_TTL_REFRESH_MS } from "../../src/cli/registrator-options.js";
import { DEFAULT_DNS_PORT } from "../../src/dns/options.js";
import { headingSection, readDoc } from "../support/docs.js";
import { assertBuilt, CLI } from "./cli.js";

/** Every scheme parseRegistryUri opens (consul+http:// and etcd+http:// are aliases). */
const SCHEMES = ["memory:", "consul://", "consul+https://", "zk://", "etcd://", "etcd+https://", "portolan://", "eureka://"];

let dir: string;
beforeAll(async () => {
  assertBuilt();
  dir = await mkdtemp(join(tmpdir(), "portolan-docs-"));
  await writeFile(join(dir, "t.mustache"), "x={{X}}\n");
});
afterAll(() => rm(dir, { recursive: true, force: true }));

function run(args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: "utf8", timeout: 30_000, cwd: dir, env: { ...process.env, X: "1" } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The help text of `flag` in `args --help`, whitespace collapsed (commander wraps long lines). */
function helpOf(args: string[], flag: string): string {
  const out = run([...args, "--help"]);
  expect(out.code).toBe(0);
  const text = out.stdout.replace(/\s+/g, " ");
  const at = text.indexOf(` ${flag} `);
  expect(at, `${flag} in ${args.join(" ")} --help`).toBeGreaterThanOrEqual(0);
  const next = text.slice(at + flag.length + 2).search(/ --[a-z]/);
  return text.slice(at, next < 0 ? undefined : at + flag.length + 2 + next);
}

/** The row of `flag` in the table of section `## Flags` of docs page `page`. */
function docsFlagRow(page: string, flag: string): string {
  const rows = headingSection(readDoc(page), "## Flags").split("\n");
  const row = rows.find((line) => line.startsWith(`| \`${flag}`));
  expect(row, `${page}: row ${flag} under ## Flags`).toBeDefined();
  return row!;
}

describe("help and docs say what the flags accept", () => {
  for (const [i, command] of (["render", "exec"] as const).entries()) {
    it(`${i * 2}_${command}_log_levels_are_the_table_in_code`, () => {
      const help = helpOf([command], "--log-level");
      for (const level of LOG_LEVELS) expect(help).toContain(level);
    });
    it(`${i * 2 + 1}_${command}_registry_lists_every_scheme`, () => {
      const help = helpOf([command], "--registry");
      for (const scheme of SCHEMES) expect(help).toContain(scheme);
    });
  }
  it("4_docs_render_registry_row_lists_every_scheme", () => {
    const row = docsFlagRow("docs/render.md", "--registry");
    for (const scheme of SCHEMES) expect(row).toContain(scheme);
  });
  it("5_ttl_refresh_minimum_in_help_and_docs", () => {
    const min = `${MIN_TTL_REFRESH_MS}ms`;
    expect(helpOf(["registrator"], "--ttl-refresh")).toContain(`at least ${min}`);
    expect(helpOf(["up"], "--ttl-refresh")).toContain(`at least ${min}`);
    expect(docsFlagRow("docs/registrator.md", "--ttl-refresh")).toContain(`at least ${min}`);
  });
  it("6_dns_listen_without_port_means_the_dns_port", () => {
    const says = `port ${DEFAULT_DNS_PORT} when omitted`;
    expect(helpOf(["dns"], "--listen")).toContain(says);
    expect(helpOf(["up"], "--dns")).toContain(says);
    expect(docsFlagRow("docs/dns.md", "--listen")).toContain(says);
  });
});

describe("messages state what is accepted", () => {
  for (const [i, value] of ["-2", "0", "1.5"].entries()) {
    it(`${i}_retry_attempts_${value}_names_minus_one_and_the_range`, () => {
      const out = run(["registrator", "--hostname", "docs", "--retry-attempts", value, "memory:"]);
      expect(out.code).toBe(EXIT_USAGE);
      expect(out.stderr).toContain("--retry-attempts");
      expect(out.stderr).toMatch(/expected -1 \(for ever\) or an integer from 1 to \d+/);
    });
  }
});

describe("catalog serve needs --registry", () => {
  it("0_refused_naming_the_flag_before_anything_starts", () => {
    const out = run(["catalog", "serve", "--listen", "127.0.0.1:0", "--log-format", "json"]);
    expect([out.code, out.stdout]).toEqual([EXIT_USAGE, ""]);
    expect(out.stderr).toContain("--registry");
    expect(out.stderr).not.toContain("listening");
  });
  for (const [i, page] of ["README.md", "docs/catalog.md"].entries()) {
    it(`${i + 1}_${page}_says_it_is_required`, () => {
      expect(readDoc(page)).toContain("portolan catalog serve --registry URI [--listen 127.0.0.1:8700]");
    });
  }
});

describe("--env-dir must be a directory", () => {
  const cases: Array<{ name: string; envDir: () => Promise<string>; code: number }> = [
    { name: "missing", envDir: async () => join(dir, "no-such-dir"), code: EXIT_CONFIG },
    { name: "a_file", envDir: async () => join(dir, "t.mustache"), code: EXIT_CONFIG },
    { name: "empty_directory_is_a_warning", envDir: async () => (await mkdir(join(dir, "empty"), { recursive: true }), join(dir, "empty")), code: 0 },
  ];
  for (const [i, c] of cases.entries()) {
    it(`${i}_${c.name}`, async () => {
      const envDir = await c.envDir();
      const out = run(["render", "--env-dir", envDir, "--template", `t.mustache:out-${i}/x`]);
      expect(out.code, out.stderr).toBe(c.code);
      expect(out.stderr).toContain(envDir);
      expect(existsSync(join(dir, `out-${i}`))).toBe(c.code === 0);
    });
  }
});
