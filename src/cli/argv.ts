// Where the command (and subcommand) names stand in argv, before commander reads it. Pure: argv in, argv out.
// `portolan help CMD [SUB]`, `portolan --help CMD` and `CMD --help SUB` ask for that (sub)command's help, so the
// help flag is moved after the name it is about; any other flag before the command name is refused, naming it
// (never its value) and where it goes: commander would read it as the top level's and print the whole help.
import { UsageError } from "../core/errors.js";

const HELP = new Set(["--help", "-h"]);
const VERSION = new Set(["--version", "-V"]);

/**
 * argv (`[node, script, ...args]`) with the command name first: `help CMD …` and `--help CMD …` become
 * `CMD --help …`. Throws UsageError for other flags before the command name. `commands`: the command names.
 */
export function commandFirst(argv: readonly string[], commands: ReadonlySet<string>): string[] {
  const head = argv.slice(0, 2);
  const args = argv.slice(2);
  if (args[0] === "help" && args[1] !== undefined && commands.has(args[1])) return [...head, args[1], "--help", ...args.slice(2)];
  const at = args.findIndex((a) => commands.has(a));
  if (at <= 0) return [...argv];
  const before = args.slice(0, at);
  if (before.some((a) => VERSION.has(a))) return [...argv]; // commander prints the version
  const name = args[at]!;
  if (before.every((a) => HELP.has(a))) return [...head, name, "--help", ...args.slice(at + 1)];
  const flags = before.filter((a) => a.startsWith("-"));
  if (flags.length === 0) return [...argv]; // `portolan bogus up`: commander names the unknown command
  // Values are shown as "…": one may be a secret (`--token …`).
  const shown = before.map((a) => (!a.startsWith("-") ? "…" : a.includes("=") ? `${a.slice(0, a.indexOf("="))}=…` : a)).join(" ");
  const names = flags.map((a) => (a.includes("=") ? a.slice(0, a.indexOf("=")) : a));
  throw new UsageError(`${names.join(", ")} ${names.length === 1 ? "goes" : "go"} after the command name: portolan ${name} ${shown}`);
}

/**
 * After the command name: a help flag before a subcommand's name (`catalog --help serve`) asks for that
 * subcommand's help (`catalog serve --help`). `args` starts after the command name.
 */
export function subcommandHelp(args: readonly string[], subcommands: ReadonlySet<string>): string[] {
  const help = args.findIndex((a) => HELP.has(a));
  if (help < 0) return [...args];
  const sub = args.findIndex((a, i) => i > help && subcommands.has(a));
  if (sub < 0) return [...args];
  return [args[sub]!, "--help"];
}
