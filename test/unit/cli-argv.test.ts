// Where the command name stands in argv (src/cli/argv.ts): help moved after the (sub)command it is about, other
// flags before the command name refused naming them without their values. Pure: argv in, argv or error out.
import { describe, expect, it } from "vitest";
import { commandFirst, subcommandHelp } from "../../src/cli/argv.js";
import { UsageError } from "../../src/core/errors.js";

const COMMANDS = new Set(["registrator", "up", "render", "exec", "dns", "catalog"]);
const argv = (...args: string[]) => ["node", "portolan", ...args];

describe("commandFirst", () => {
  const kept: Array<[string, string[], string[]]> = [
    ["command_first", ["up", "--log-level", "debug"], ["up", "--log-level", "debug"]],
    ["help_word", ["help", "catalog", "serve"], ["catalog", "--help", "serve"]],
    ["help_flag_before", ["--help", "up"], ["up", "--help"]],
    ["short_help_before", ["-h", "registrator"], ["registrator", "--help"]],
    ["help_before_exec_keeps_the_program_after", ["--help", "exec", "sh", "-c", "x"], ["exec", "--help", "sh", "-c", "x"]],
    ["version_is_commanders", ["--version", "up"], ["--version", "up"]],
    ["no_command", ["--bogus"], ["--bogus"]],
    ["unknown_word_first", ["bogus", "up"], ["bogus", "up"]],
    ["help_alone", ["help"], ["help"]],
    ["help_of_unknown", ["help", "bogus"], ["help", "bogus"]],
  ];
  kept.forEach(([name, args, want], i) => it(`${i}_${name}`, () => expect(commandFirst(argv(...args), COMMANDS)).toEqual(argv(...want))));

  const refused: Array<[string, string[], string]> = [
    ["one_flag", ["--log-level", "debug", "up"], "--log-level goes after the command name: portolan up --log-level …"],
    ["two_flags", ["--registry", "consul://x", "--json", "catalog"], "--registry, --json go after the command name: portolan catalog --registry … --json"],
    ["inline_value_hidden", ["--token=secret", "catalog", "serve"], "--token goes after the command name: portolan catalog --token=…"],
    ["help_with_other_flag", ["--help", "--log-level", "x", "up"], "--help, --log-level go after the command name: portolan up --help --log-level …"],
  ];
  refused.forEach(([name, args, message], i) =>
    it(`${kept.length + i}_refused_${name}`, () => {
      let err: unknown;
      try {
        commandFirst(argv(...args), COMMANDS);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(UsageError);
      expect((err as Error).message).toBe(message);
      expect((err as Error).message).not.toContain("secret");
    }),
  );
});

describe("subcommandHelp", () => {
  const SUBS = new Set(["service", "serve"]);
  const rows: Array<[string, string[], string[]]> = [
    ["help_before_sub", ["--help", "serve"], ["serve", "--help"]],
    ["short_help_before_sub_with_flags", ["--registry", "x", "-h", "service", "web"], ["service", "--help"]],
    ["help_after_sub_unchanged", ["serve", "--help"], ["serve", "--help"]],
    ["help_without_sub_unchanged", ["--json", "--help"], ["--json", "--help"]],
    ["no_help_unchanged", ["--json", "service", "web"], ["--json", "service", "web"]],
  ];
  rows.forEach(([name, args, want], i) => it(`${i}_${name}`, () => expect(subcommandHelp(args, SUBS)).toEqual(want)));
});
