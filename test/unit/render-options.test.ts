import { Command } from "commander";
import { describe, expect, it } from "vitest";
import { addFlags } from "../../src/cli/render.js";
import { wantsHelp } from "../../src/cli/render-fast.js";
import { parseArgv, parseRenderOptions, splitProgram, type RawRenderOptions } from "../../src/cli/render-options.js";
import { UsageError } from "../../src/core/errors.js";

/** What commander hands the action for the same argv (undefined values dropped, as parseArgs does). */
function viaCommander(args: string[], mode: "render" | "exec"): { raw: RawRenderOptions; positionals: string[] } {
  let out: { raw: RawRenderOptions; positionals: string[] } | undefined;
  const cmd = addFlags(new Command(mode), mode).exitOverride();
  if (mode === "exec") cmd.argument("<command...>");
  cmd.action((...a: unknown[]) => {
    const opts = (mode === "exec" ? a[1] : a[0]) as Record<string, unknown>;
    const raw = Object.fromEntries(Object.entries(opts).filter(([, v]) => v !== undefined)) as RawRenderOptions;
    out = { raw, positionals: mode === "exec" ? (a[0] as string[]) : [] };
  });
  cmd.parse(args, { from: "user" });
  return out!;
}

const same: Array<{ name: string; mode: "render" | "exec"; args: string[] }> = [
  { name: "render_everything", mode: "render", args: ["--name", "push", "--env-dir=/etc/push", "--environment-file", "/a.env", "--environment-file=-/b.env", "--env-format", "dotenv", "--files-override-env", "--spec", "s.yaml", "--template", "a:b", "--template=c:d:0600", "--template-dir", "t:o", "--wait", "tcp://127.0.0.1:1", "--wait-timeout", "5s", "--dry-run", "--log-level", "debug"] },
  { name: "exec_with_program", mode: "exec", args: ["--kill-timeout=3s", "--registry", "memory:", "--watch", "--watch-min-quiet", "100ms", "--watch-max-quiet", "1s", "--reload-signal", "USR2", "--", "sh", "-c", "echo --x"] },
  { name: "optional_env_file_dash_value_as_separate_arg", mode: "exec", args: ["--environment-file", "-/opt/a.env", "--environment-file", "/b.env", "--", "true"] },
  { name: "exec_reload_cmd_and_replace", mode: "exec", args: ["--reload-cmd", "kill -HUP 1", "--exec-replace", "--", "true"] },
];

describe("parseArgv equals commander", () => {
  same.forEach((c, i) => {
    it(`${i}_${c.name}`, () => {
      const fast = parseArgv(c.args, c.mode);
      expect(fast).toEqual(viaCommander(c.args, c.mode));
      expect(parseRenderOptions(fast.raw, c.mode)).toEqual(parseRenderOptions(viaCommander(c.args, c.mode).raw, c.mode));
    });
  });
});

describe("parseRenderOptions", () => {
  it("0_defaults_and_values", () => {
    const o = parseRenderOptions(parseArgv(same[0]!.args, "render").raw, "render");
    expect(o).toMatchObject({
      name: "push",
      envDir: "/etc/push",
      environmentFiles: [{ path: "/a.env", optional: false }, { path: "/b.env", optional: true }],
      envFormat: "dotenv",
      filesOverrideEnv: true,
      templates: [{ src: "a", dest: "b" }, { src: "c", dest: "d", mode: 0o600 }],
      templateDirs: [{ srcDir: "t", destDir: "o" }],
      waits: [{ kind: "tcp", host: "127.0.0.1", port: 1 }],
      waitTimeoutMs: 5000,
      dryRun: true,
      reloadSignal: "SIGHUP",
      killTimeoutMs: 10_000,
    });
    const e = parseRenderOptions(parseArgv(same[1]!.args, "exec").raw, "exec");
    expect(e).toMatchObject({ killTimeoutMs: 3000, watch: true, watchMinQuietMs: 100, watchMaxQuietMs: 1000, reloadSignal: "SIGUSR2" });
  });

  const bad: Array<[string, "render" | "exec", string[]]> = [
    ["env_file_flag_does_not_exist", "render", ["--env-file", "x"]],
    ["watch_without_registry", "exec", ["--watch", "--", "true"]],
    ["watch_and_exec_replace", "exec", ["--watch", "--registry", "memory:", "--exec-replace", "--", "true"]],
    ["reload_cmd_and_signal", "exec", ["--reload-cmd", "x", "--reload-signal", "HUP", "--", "true"]],
    ["bad_duration", "render", ["--wait-timeout", "soon"]],
    ["bad_template_spec", "render", ["--template", "only-src"]],
    ["bad_template_mode", "render", ["--template", "a:b:rw"]],
    ["bad_wait_scheme", "render", ["--wait", "udp://1.2.3.4:5"]],
    ["bad_signal", "exec", ["--reload-signal", "SIGNOPE", "--", "true"]],
    ["bad_env_format", "render", ["--env-format", "ini"]],
    ["max_below_min_quiet", "exec", ["--watch-min-quiet", "2s", "--watch-max-quiet", "1s", "--", "true"]],
    ["exec_flag_on_render", "render", ["--exec-replace"]],
    ["bad_log_level", "render", ["--log-level", "loud"]],
    ["kill_timeout_beyond_timers", "exec", ["--kill-timeout", "720h", "--", "true"]],
    ["wait_timeout_beyond_timers", "render", ["--wait-timeout", "597h"]],
    ["watch_min_quiet_beyond_timers", "exec", ["--watch-min-quiet", "999999999s", "--", "true"]],
    ["watch_max_quiet_beyond_timers", "exec", ["--watch-max-quiet", "25000h", "--", "true"]],
    ["flag_after_program_unknown_to_portolan_is_fine_but_before_is_not", "exec", ["--bogus", "sh"]],
    ["name_with_a_slash", "render", ["--name", "../../etc/passwd"]],
    ["name_empty", "render", ["--name", ""]],
    ["reload_signal_kill", "exec", ["--reload-signal", "KILL", "--", "true"]],
    ["reload_signal_stop", "exec", ["--reload-signal", "SIGSTOP", "--", "true"]],
    ["registry_unknown_scheme_before_waiting", "render", ["--registry", "nope://x", "--wait", "tcp://127.0.0.1:1"]],
    ["registry_without_scheme", "render", ["--registry", "127.0.0.1:8500"]],
    ["registry_zk_parameter_before_waiting", "render", ["--registry", "zk://127.0.0.1:2181/x?format=bogus", "--wait", "tcp://127.0.0.1:1"]],
    ["registry_consul_path_before_waiting", "render", ["--registry", "consul://127.0.0.1:8500/v1", "--wait", "tcp://127.0.0.1:1"]],
    ["registry_portolan_without_port", "render", ["--registry", "portolan://127.0.0.1"]],
  ];
  bad.forEach(([name, mode, args], i) =>
    it(`${1 + i}_rejects_${name}`, () => {
      expect(() => parseRenderOptions(parseArgv(args, mode).raw, mode)).toThrow(UsageError);
    }),
  );
});

describe("parseRenderOptions environment", () => {
  it("0_log_level_from_env_validated", () => {
    expect(parseRenderOptions({}, "render", { PORTOLAN_LOG_LEVEL: "debug" }).logLevel).toBe("debug");
    expect(parseRenderOptions({}, "render", {}).logLevel).toBe("info");
    expect(() => parseRenderOptions({}, "render", { PORTOLAN_LOG_LEVEL: "loud" })).toThrow(UsageError);
    expect(parseRenderOptions({ logLevel: "warn" }, "render", { PORTOLAN_LOG_LEVEL: "loud" }).logLevel).toBe("warn");
  });
  it("1_registry_settings_checked_up_front", () => {
    expect(() => parseRenderOptions({ registry: "consul+https://127.0.0.1:8501" }, "render", { CONSUL_CACERT: "/nonexistent/ca.pem" })).toThrow(
      /--registry: .*CONSUL_CACERT=\/nonexistent\/ca\.pem: cannot be read/,
    );
  });
  it("2_longest_duration_accepted", () => {
    expect(parseRenderOptions({ killTimeout: "596h" }, "exec", {}).killTimeoutMs).toBe(596 * 3_600_000);
  });
});

describe("splitProgram / parseArgv for exec", () => {
  const rows: Array<[string, string[], string[], string[] | undefined]> = [
    ["after_double_dash", ["--name", "x", "--", "sh", "-c", "y"], ["--name", "x"], ["sh", "-c", "y"]],
    ["program_without_double_dash", ["--name", "x", "node", "app.js", "--name", "y"], ["--name", "x"], ["node", "app.js", "--name", "y"]],
    ["flag_value_that_looks_like_a_program", ["--reload-cmd", "kill", "sh"], ["--reload-cmd", "kill"], ["sh"]],
    ["equals_form", ["--name=x", "sh", "--help"], ["--name=x"], ["sh", "--help"]],
    ["boolean_flag_does_not_take_a_value", ["--watch", "sh"], ["--watch"], ["sh"]],
    ["double_dash_after_program_is_the_programs", ["sh", "--", "x"], [], ["sh", "--", "x"]],
    ["no_program", ["--name", "x"], ["--name", "x"], undefined],
  ];
  rows.forEach(([name, args, flags, program], i) =>
    it(`${i}_${name}`, () => {
      expect(splitProgram(args, "exec")).toEqual({ flags, program });
    }),
  );
  it(`${rows.length}_parseArgv_gives_the_program_its_flags`, () => {
    expect(parseArgv(["--log-level", "warn", "sh", "-c", "x", "--name", "y"], "exec")).toEqual({ raw: { logLevel: "warn" }, positionals: ["sh", "-c", "x", "--name", "y"] });
  });
  it(`${rows.length + 1}_render_has_no_program`, () => {
    expect(splitProgram(["--name", "x", "stray"], "render")).toEqual({ flags: ["--name", "x", "stray"], program: undefined });
  });
  it(`${rows.length + 2}_help_only_from_portolans_own_flags`, () => {
    expect(wantsHelp(["--help"], "exec")).toBe(true);
    expect(wantsHelp(["--name", "x", "-h"], "exec")).toBe(true);
    expect(wantsHelp(["sh", "--help"], "exec")).toBe(false);
    expect(wantsHelp(["--", "sh", "--help"], "exec")).toBe(false);
  });
});
