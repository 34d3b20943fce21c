// The container-start fast path of `portolan render` / `portolan exec`: argv parsed with node:util parseArgs
// from the same FLAGS table as the commander commands, so a start never loads commander (~20% of `node -e 0`).
// main.ts sends `--help`, argv this parser refuses, and everything else to commander.
import { RenderUsageError } from "../render/run-errors.js";
import { reportFailure } from "./exit.js";
import { parseArgv, splitProgram } from "./render-options.js";

/** True when portolan's own flags (not the program's: `exec sh --help`) ask for help: commander answers those. */
export function wantsHelp(args: string[], command: "render" | "exec" = "exec"): boolean {
  return splitProgram(args, command).flags.some((a) => a === "--help" || a === "-h");
}

/**
 * argv after the command name, parsed without commander; undefined when the parser refuses it (an unknown flag, a
 * missing value): commander then reads it again and words the error as for every other command.
 */
export function parseFast(command: "render" | "exec", args: string[]): ReturnType<typeof parseArgv> | undefined {
  try {
    return parseArgv(args, command);
  } catch (err) {
    if (err instanceof RenderUsageError) return undefined;
    throw err;
  }
}

/**
 * The container-start path for a whole argv (`process.argv`): `render`/`exec` that the fast parser takes run here;
 * undefined for everything else (help, other commands, argv it refuses), which goes to commander.
 */
export function runIfFast(argv: string[]): Promise<number> | undefined {
  const first = argv[2];
  if (first !== "render" && first !== "exec") return undefined;
  const rest = argv.slice(3);
  const parsed = wantsHelp(rest, first) ? undefined : parseFast(first, rest);
  return parsed && runFast(first, parsed);
}

/** Runs `render` or `exec` from parsed argv; resolves with the exit code. */
export async function runFast(command: "render" | "exec", parsed: ReturnType<typeof parseArgv>): Promise<number> {
  if (command === "render") {
    if (parsed.positionals.length > 0) return reportFailure("render", new RenderUsageError(`unexpected argument ${JSON.stringify(parsed.positionals[0])}`));
    return (await import("./render-run.js")).runRender(parsed.raw);
  }
  return (await import("./exec-run.js")).runExec(parsed.raw, parsed.positionals);
}
