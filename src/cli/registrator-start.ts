// The registrator's entry: bundled by scripts/bundle-render.mjs into dist/src/cli/registrator.cjs (CommonJS, one
// file), which dist/src/cli/portolan.cjs loads for `portolan registrator`. The registrator is a daemon on every
// host, and what it loads it keeps: this path never loads commander nor Node's ES-module loader (~2.8 MiB of RSS
// measured for the loader alone, see docs/benchmarks.md). Its argv is parsed with node:util parseArgs from the
// same flag table as commander's (registrator-options.ts); --help and every argv that parser refuses go to main.ts
// and commander, which answer and word them as for every other command.
import { EXIT_SOFTWARE } from "../core/exit-codes.js";
import { crashText, installCrashHandler, writeStderr } from "../core/output.js";
import { reportFailure } from "./exit.js";
import { parseRegistratorArgv } from "./registrator-options.js";
import { registratorAction } from "./registrator-run.js";
import { installSignals, type HeldSignals } from "./signals.js";

/**
 * Runs `portolan registrator …` for `argv` (process.argv, argv[2] the command name); sets process.exitCode, never
 * rejects. `held`: the signals portolan.cjs caught while this bundle loaded, replayed once the handlers are in place.
 */
export async function start(argv: string[], held?: HeldSignals): Promise<void> {
  installSignals(held);
  installCrashHandler(EXIT_SOFTWARE);
  try {
    const parsed = parseRegistratorArgv(argv.slice(3));
    if (!parsed) {
      await import("./main.js"); // runs main(process.argv) when loaded: help, and the wording of what parseArgs refused
      return;
    }
    try {
      await registratorAction(parsed.uri, parsed.flags);
      process.exitCode = typeof process.exitCode === "number" ? process.exitCode : 0;
    } catch (err) {
      process.exitCode = reportFailure("registrator", err);
    }
  } catch (err) {
    writeStderr(crashText(err));
    process.exitCode = EXIT_SOFTWARE;
  }
}
