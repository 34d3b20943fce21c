// How the command line is read, as a user types it: help for the command (or subcommand) asked about, wherever
// the help flag or word stands; one-line parser messages in commander's words for every command, render and exec
// included; flags before the command name refused naming them (never echoing a value), with no help dump.
import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { EXIT_USAGE } from "../../src/core/exit-codes.js";
import { assertBuilt, CLI } from "./cli.js";

const BIN = new URL("../../bin/portolan", import.meta.url).pathname;
const ENTRIES: Array<[string, string[]]> = [
  ["main.js", [process.execPath, CLI]],
  ["bin", [BIN]],
];

function run(cmd: string[], args: string[]) {
  assertBuilt();
  const r = spawnSync(cmd[0]!, [...cmd.slice(1), ...args], { encoding: "utf8", timeout: 30_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe.each(ENTRIES)("help for the command asked about (%s)", (_name, cmd) => {
  const rows: Array<{ args: string[]; usage: string; flag: string }> = [
    { args: ["--help", "up"], usage: "portolan up", flag: "--dns" },
    { args: ["-h", "registrator"], usage: "portolan registrator", flag: "--resync" },
    { args: ["registrator", "--help"], usage: "portolan registrator", flag: "--deregister-on-exit" },
    { args: ["registrator", "memory:", "-h"], usage: "portolan registrator", flag: "--max-services" },
    { args: ["--help", "render"], usage: "portolan render", flag: "--template" },
    { args: ["-h", "exec"], usage: "portolan exec", flag: "--kill-timeout" },
    { args: ["help", "catalog", "serve"], usage: "portolan catalog serve", flag: "--max-connections" },
    { args: ["help", "catalog", "service"], usage: "portolan catalog service", flag: "--tag" },
    { args: ["--help", "catalog", "serve"], usage: "portolan catalog serve", flag: "--max-connections" },
    { args: ["catalog", "--help", "serve"], usage: "portolan catalog serve", flag: "--max-connections" },
    { args: ["catalog", "-h", "service"], usage: "portolan catalog service", flag: "--tag" },
    { args: ["catalog", "help", "serve"], usage: "portolan catalog serve", flag: "--max-connections" },
    { args: ["catalog", "serve", "--help"], usage: "portolan catalog serve", flag: "--max-connections" },
    { args: ["help", "dns"], usage: "portolan dns", flag: "--recursor" },
  ];
  rows.forEach((r, i) =>
    it(`${i}_${r.args.join("_")}`, () => {
      const out = run(cmd, r.args);
      expect(out.code, out.stderr).toBe(0);
      expect(out.stdout).toContain(`Usage: ${r.usage} [options]`);
      expect(out.stdout).toContain(r.flag);
    }),
  );
});

describe.each(ENTRIES)("parser messages (%s)", (_name, cmd) => {
  const rows: Array<{ name: string; args: string[]; want: string[]; not?: string[] }> = [
    { name: "catalog_misspelt_subcommand", args: ["catalog", "servce"], want: ["error: unknown command 'servce'", "(Did you mean one of serve, service?)"], not: ["too many arguments"] },
    { name: "misspelt_command", args: ["registrater", "memory:"], want: ["error: unknown command 'registrater'", "(Did you mean registrator?)"] },
    { name: "render_unknown_option", args: ["render", "--bogus"], want: ["error: unknown option '--bogus'"], not: ["parseArgs", "positional", '"'] },
    { name: "render_misspelt_option", args: ["render", "--dry-rn"], want: ["error: unknown option '--dry-rn'", "(Did you mean --dry-run?)"] },
    { name: "exec_unknown_option", args: ["exec", "--bogus", "--", "true"], want: ["error: unknown option '--bogus'"], not: ["positional"] },
    { name: "render_missing_value", args: ["render", "--name"], want: ["error: option '--name <name>' argument missing"] },
    { name: "render_boolean_with_value", args: ["render", "--dry-run=yes"], want: ["error: unknown option '--dry-run=yes'"] },
    { name: "log_level_before_command", args: ["--log-level", "debug", "up"], want: ["portolan: --log-level goes after the command name: portolan up --log-level …"] },
    { name: "two_flags_before_command", args: ["--registry", "memory:", "--json", "catalog"], want: ["portolan: --registry, --json go after the command name: portolan catalog --registry … --json"] },
    { name: "flag_value_before_command_not_echoed", args: ["--token=s3cr3t-value", "catalog", "serve"], want: ["portolan: --token goes after the command name: portolan catalog --token=…"], not: ["s3cr3t"] },
    { name: "render_flag_before_command", args: ["--dry-run", "render"], want: ["portolan: --dry-run goes after the command name: portolan render --dry-run"] },
    { name: "unknown_top_level_option", args: ["--bogus"], want: ["error: unknown option '--bogus'"] },
    // bin/portolan registrator parses with parseArgs (registrator.cjs); what it refuses is worded by commander.
    { name: "registrator_unknown_option", args: ["registrator", "--bogus", "memory:"], want: ["error: unknown option '--bogus'"], not: ["parseArgs", "positional"] },
    { name: "registrator_misspelt_option", args: ["registrator", "--clenup", "memory:"], want: ["error: unknown option '--clenup'", "(Did you mean --cleanup?)"] },
    { name: "registrator_missing_value", args: ["registrator", "memory:", "--resync"], want: ["error: option '--resync <duration>' argument missing"] },
    { name: "registrator_choice_outside", args: ["registrator", "--deregister", "never", "memory:"], want: ["error: option '--deregister <mode>' argument 'never' is invalid"] },
    { name: "registrator_no_uri", args: ["registrator"], want: ["error: missing required argument 'registry-uri'"] },
    { name: "registrator_two_uris", args: ["registrator", "memory:", "memory:"], want: ["error: too many arguments for 'registrator'"] },
    { name: "registrator_boolean_with_value", args: ["registrator", "--cleanup=yes", "memory:"], want: ["error: unknown option '--cleanup=yes'"] },
  ];
  rows.forEach((r, i) =>
    it(`${i}_${r.name}`, () => {
      const out = run(cmd, r.args);
      expect(out.code, out.stderr).toBe(EXIT_USAGE);
      expect(out.stdout).toBe("");
      for (const w of r.want) expect(out.stderr).toContain(w);
      for (const n of r.not ?? []) expect(out.stderr).not.toContain(n);
      // One short message: no help dump, no stack.
      expect(out.stderr).not.toContain("Usage:");
      expect(out.stderr).not.toMatch(/\n\s+at /);
      expect(out.stderr.trimEnd().split("\n").length).toBeLessThanOrEqual(3);
    }),
  );
});
