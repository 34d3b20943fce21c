// The registrator's two parsers read one flag table: what parseArgs takes (bin/portolan's registrator.cjs, which
// never loads commander) is read exactly as commander reads it, and everything else is left to commander, which
// answers --help and words every refusal.
import { Command } from "commander";
import { describe, expect, it } from "vitest";
import { parseRegistratorArgv, REGISTRATOR_FLAGS, type RegistratorFlags } from "../../src/cli/registrator-options.js";
import { registratorCommand } from "../../src/cli/registrator.js";

/** What commander hands registrator's action for `args` (argv after the command name), or the error it throws. */
function viaCommander(args: string[]): { flags: RegistratorFlags; uri: string } | { error: string } {
  let got: { flags: RegistratorFlags; uri: string } | undefined;
  const cmd = registratorCommand()
    .exitOverride()
    .configureOutput({ writeOut: () => {}, writeErr: () => {} })
    .action((uri: string, flags: RegistratorFlags) => {
      got = { flags: { ...flags }, uri };
    });
  const program = new Command("portolan").exitOverride().configureOutput({ writeOut: () => {}, writeErr: () => {} }).addCommand(cmd);
  try {
    program.parse(["node", "portolan", "registrator", ...args]);
  } catch (err) {
    return { error: (err as Error).message };
  }
  return got!;
}

describe("registrator argv: parseArgs reads what commander reads", () => {
  const taken: string[][] = [
    ["memory:"],
    ["--hostname", "h1", "--resync", "0", "--log-format", "json", "consul://127.0.0.1:8500"],
    ["consul://127.0.0.1:8500", "--internal", "--network", "backend", "--explicit", "--cleanup", "--deregister-on-exit"],
    ["--retry-attempts", "-1", "--retry-interval=250", "--concurrency", "4", "--max-services", "10", "memory:"],
    ["--ip=10.0.0.1", "--tags", "a,b", "--ttl", "30s", "--ttl-refresh", "10s", "--shutdown-timeout", "5", "memory:"],
    ["--deregister", "on-success", "--log-level", "debug", "--log-format", "pretty", "memory:"],
    ["--tags", "-x", "memory:"], // a value starting with a dash, as commander takes it
    ["--hostname", "a", "--hostname", "b", "memory:"], // the last one wins
    ["--", "memory:"],
  ];
  taken.forEach((args, i) => {
    it(`${i}_${args.join("_")}`, () => {
      const fast = parseRegistratorArgv(args);
      expect(fast).toBeDefined();
      expect(fast).toEqual(viaCommander(args));
    });
  });
});

describe("registrator argv: left to commander", () => {
  const refused: Array<[string, string[]]> = [
    ["help", ["--help", "memory:"]],
    ["help_short", ["memory:", "-h"]],
    ["unknown_flag", ["--bogus", "memory:"]],
    ["boolean_with_value", ["--internal=yes", "memory:"]],
    ["missing_value", ["memory:", "--resync"]],
    ["choice_outside", ["--deregister", "never", "memory:"]],
    ["log_format_outside", ["--log-format", "xml", "memory:"]],
    ["no_uri", []],
    ["two_uris", ["memory:", "consul://127.0.0.1:8500"]],
    ["version", ["-V"]],
  ];
  refused.forEach(([name, args], i) => {
    it(`${i}_${name}`, () => {
      expect(parseRegistratorArgv(args)).toBeUndefined();
      // Commander refuses it too (or answers help): the fast parser never decides a refusal of its own.
      expect(viaCommander(args)).toHaveProperty("error");
    });
  });
});

describe("registrator flag table", () => {
  it("0_every_flag_is_in_the_help", () => {
    const help = registratorCommand().helpInformation();
    for (const f of REGISTRATOR_FLAGS) expect(help).toContain(`--${f.flag}`);
  });
});
