// Options and messages of every command as a user meets them: settings validated before any effect (exit 64
// naming the flag or variable, never a stack), bounded durations, help text generated from the exit-code table,
// the program's own arguments after `exec CMD`, a closed pipe, inputs over their limits.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm, truncate, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EXIT_CONFIG, EXIT_NOINPUT, EXIT_USAGE } from "../../src/core/exit-codes.js";
import { assertBuilt, CLI } from "./cli.js";

const BIN = new URL("../../bin/portolan", import.meta.url).pathname;
const ENTRIES: Array<[string, string[]]> = [
  ["main.js", [process.execPath, CLI]],
  ["bin", [BIN]],
];

let dir: string;
beforeAll(async () => {
  assertBuilt();
  dir = await mkdtemp(join(tmpdir(), "portolan-options-"));
  await writeFile(join(dir, "t.mustache"), "x={{X}}\n");
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function run(cmd: string[], args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(cmd[0]!, [...cmd.slice(1), ...args], { encoding: "utf8", env: { ...process.env, X: "1", ...env }, timeout: 30_000, cwd: dir });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const NO_STACK = /\n\s+at /;

describe.each(ENTRIES)("settings validated before any effect (%s)", (_name, cmd) => {
  const rows: Array<{ name: string; args: string[]; env?: Record<string, string>; names: string }> = [
    { name: "registrator_bad_log_level", args: ["registrator", "--log-level", "bogus", "memory:"], names: "--log-level" },
    { name: "registrator_bad_env_log_level", args: ["registrator", "memory:"], env: { PORTOLAN_LOG_LEVEL: "loud" }, names: "PORTOLAN_LOG_LEVEL" },
    { name: "up_bad_log_level", args: ["up", "--log-level", "bogus"], names: "--log-level" },
    { name: "up_dns_and_catalog_on_one_port", args: ["up", "--dns", "127.0.0.1:18795", "--listen", "127.0.0.1:18795"], names: "overlap: both need TCP port 18795" },
    { name: "up_dns_wildcard_and_catalog_on_one_port", args: ["up", "--dns", "0.0.0.0:18796", "--listen", "127.0.0.1:18796"], names: "--dns 0.0.0.0:18796 and --listen 127.0.0.1:18796 overlap" },
    { name: "dns_bad_env_log_level", args: ["dns", "--registry", "memory:", "--listen", "127.0.0.1:0"], env: { PORTOLAN_LOG_LEVEL: "loud" }, names: "PORTOLAN_LOG_LEVEL" },
    { name: "catalog_bad_env_log_level", args: ["catalog", "--registry", "memory:"], env: { PORTOLAN_LOG_LEVEL: "loud" }, names: "PORTOLAN_LOG_LEVEL" },
    { name: "catalog_serve_bad_log_level", args: ["catalog", "serve", "--registry", "memory:", "--log-level", "loud", "--listen", "127.0.0.1:0"], names: "--log-level" },
    { name: "registrator_bad_docker_host", args: ["registrator", "memory:"], env: { DOCKER_HOST: "bogus" }, names: "DOCKER_HOST" },
    { name: "registrator_resync_beyond_timers", args: ["registrator", "--resync", "720h", "memory:"], names: "--resync" },
    { name: "render_bad_env_log_level", args: ["render", "--template", "t.mustache:out-env/x"], env: { PORTOLAN_LOG_LEVEL: "loud" }, names: "PORTOLAN_LOG_LEVEL" },
    { name: "exec_bad_env_log_level", args: ["exec", "--template", "t.mustache:out-env/x", "--", "touch", "ran"], env: { PORTOLAN_LOG_LEVEL: "loud" }, names: "PORTOLAN_LOG_LEVEL" },
    { name: "render_bad_log_level", args: ["render", "--log-level", "loud", "--template", "t.mustache:out-env/x"], names: "--log-level" },
    { name: "exec_kill_timeout_overflow", args: ["exec", "--kill-timeout", "720h", "--", "touch", "ran"], names: "--kill-timeout" },
    { name: "exec_wait_timeout_overflow", args: ["exec", "--wait-timeout", "100000h", "--", "touch", "ran"], names: "--wait-timeout" },
    { name: "exec_watch_quiet_overflow", args: ["exec", "--watch-max-quiet", "1000h", "--", "touch", "ran"], names: "--watch-max-quiet" },
  ];
  rows.forEach((r, i) =>
    it(`${i}_${r.name}`, () => {
      const out = run(cmd, r.args, r.env);
      expect(out.code, out.stderr).toBe(EXIT_USAGE);
      expect(out.stderr).toContain(r.names);
      expect(out.stderr).not.toMatch(NO_STACK);
      expect(existsSync(join(dir, "out-env"))).toBe(false);
      expect(existsSync(join(dir, "ran"))).toBe(false);
    }),
  );
});

describe("help", () => {
  it("0_render_help_lists_the_exit_codes_from_the_table", () => {
    const out = run([process.execPath, CLI], ["render", "--help"]);
    expect(out.code).toBe(0);
    expect(out.stdout).not.toContain("${");
    expect(out.stdout).toMatch(/Exit codes:\n {2}program's +exec: the program's own exit code/);
    expect(out.stdout).toMatch(/\n {2}78 +configuration invalid/);
  });

  it("1_help_command_shows_the_commands_flags", () => {
    for (const [command, flag] of [["render", "--template"], ["exec", "--kill-timeout"], ["registrator", "--resync"]] as const) {
      const out = run([BIN], ["help", command]);
      expect(out.code).toBe(0);
      expect(out.stdout).toContain(flag);
      expect(out.stdout).toContain("Exit codes:");
    }
  });

  it("2_exec_program_help_flag_belongs_to_the_program", () => {
    const out = run([BIN], ["exec", "sh", "-c", "echo program ran", "--help"]);
    expect(out.code).toBe(0);
    expect(out.stdout).toBe("program ran\n");
  });
});

describe.each(ENTRIES)("exec arguments (%s)", (_name, cmd) => {
  it("0_everything_after_the_command_belongs_to_it", () => {
    const out = run(cmd, ["exec", "--log-level", "warn", "sh", "-c", 'printf "[%s]" "$@"', "sh", "--name", "x", "--", "--kill-timeout", "1s"]);
    expect(out.code, out.stderr).toBe(0);
    expect(out.stdout).toBe("[--name][x][--][--kill-timeout][1s]");
  });
});

describe.each(ENTRIES)("closed pipe (%s)", (_name, cmd) => {
  it("0_dry_run_into_head_ends_quietly", async () => {
    await writeFile(join(dir, "big.mustache"), `${"line of text {{X}}\n".repeat(50_000)}`);
    const quoted = [...cmd, "render", "--dry-run", "--template", "big.mustache:out-pipe/x"].map((a) => `'${a}'`).join(" ");
    const r = spawnSync("bash", ["-c", `${quoted} | head -c 10 >/dev/null; echo "status=\${PIPESTATUS[0]}" >&2`], { encoding: "utf8", cwd: dir, env: { ...process.env, X: "1" } });
    expect(r.stderr).toBe("status=0\n");
  });
});

describe.each(ENTRIES)("input limits (%s)", (_name, cmd) => {
  it("0_a_46_MB_template_is_refused_unread_naming_file_and_limit", async () => {
    const big = join(dir, "huge.mustache");
    await writeFile(big, "");
    await truncate(big, 46 * 1024 * 1024); // sparse: the size is what counts
    const out = run(cmd, ["render", "--template", `${big}:out-big/x`]);
    expect(out.code).toBe(EXIT_NOINPUT);
    expect(out.stderr).toContain(big);
    expect(out.stderr).toContain("1 MiB");
    expect(existsSync(join(dir, "out-big"))).toBe(false);
  });

  it("1_env_file_and_spec_over_the_limit_are_configuration_errors", async () => {
    const env = join(dir, "huge.env");
    const spec = join(dir, "huge-spec.json");
    for (const f of [env, spec]) {
      await writeFile(f, "");
      await truncate(f, 2 * 1024 * 1024);
    }
    const a = run(cmd, ["render", "--environment-file", env, "--template", "t.mustache:out-big/x"]);
    expect(a.code).toBe(EXIT_CONFIG);
    expect(a.stderr).toContain(env);
    expect(a.stderr).toContain("1 MiB");
    const b = run(cmd, ["render", "--spec", spec, "--template", "t.mustache:out-big/x"]);
    expect(b.code).toBe(EXIT_CONFIG);
    expect(b.stderr).toContain(spec);
    expect(b.stderr).toContain("1 MiB");
    expect(existsSync(join(dir, "out-big"))).toBe(false);
  });
});
