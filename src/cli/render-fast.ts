// The container-start fast path of `portolan render` / `portolan exec`: argv parsed with node:util parseArgs
// from the same FLAGS table as the commander commands, so a start never loads commander (~20% of `node -e 0`).
// main.ts sends `--help` and everything else to commander.
import { RenderUsageError } from "../render/run-errors.js";
import { reportFailure } from "./render-run.js";
import { parseArgv, splitProgram } from "./render-options.js";

/** True when portolan's own flags (not the program's: `exec sh --help`) ask for help: commander answers those. */
export function wantsHelp(args: string[], command: "render" | "exec" = "exec"): boolean {
  return splitProgram(args, command).flags.some((a) => a === "--help" || a === "-h");
}

/** Runs `render` or `exec` from argv after the command name; resolves with the exit code. */
export async function runFast(command: "render" | "exec", args: string[]): Promise<number> {
  let parsed: ReturnType<typeof parseArgv>;
  try {
    parsed = parseArgv(args, command);
  } catch (err) {
    return reportFailure(command, err);
  }
  if (command === "render") {
    if (parsed.positionals.length > 0) return reportFailure("render", new RenderUsageError(`unexpected argument ${JSON.stringify(parsed.positionals[0])}`));
    return (await import("./render-run.js")).runRender(parsed.raw);
  }
  return (await import("./exec-run.js")).runExec(parsed.raw, parsed.positionals);
}
