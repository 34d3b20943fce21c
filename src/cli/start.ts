// The container-start entry: bundled by scripts/bundle-render.mjs into dist/src/cli/start.cjs (CommonJS, one
// file) and loaded by dist/src/cli/portolan.cjs with a V8 code cache. `render`/`exec` go straight to the fast
// path; everything else (--help, argv the fast parser refuses) goes to main.ts and commander. Both paths behave the same; this one skips
// Node's ES-module loader, which costs more than the work itself at every container start.
import { EXIT_SOFTWARE } from "../core/exit-codes.js";
import { crashText, installCrashHandler, writeStderr } from "../core/output.js";
import { runIfFast } from "./render-fast.js";
import { installSignals, type HeldSignals } from "./signals.js";

/**
 * Runs the CLI for `argv` (process.argv); sets process.exitCode, never rejects. `held`: the signals portolan.cjs
 * caught while this bundle loaded, replayed once the real handlers are in place.
 */
export async function start(argv: string[], held?: HeldSignals): Promise<void> {
  installSignals(held);
  installCrashHandler(EXIT_SOFTWARE);
  try {
    const fast = runIfFast(argv);
    if (fast) process.exitCode = await fast;
    else await import("./main.js"); // runs main(process.argv) when loaded: help, argv parseFast refuses, other commands
  } catch (err) {
    writeStderr(crashText(err));
    process.exitCode = EXIT_SOFTWARE;
  }
}
