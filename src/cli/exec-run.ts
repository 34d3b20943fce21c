// `portolan exec [options] -- CMD ARGS...` (no commander here; exec.ts is the command): flags parsed, then everything
// `render` does (src/render/run.ts), then CMD runs supervised (src/render/supervise.ts) or replaces portolan with
// --exec-replace. The child's environment is the process env plus every layered variable.
import { constants } from "node:os";
import { ENDING_SIGNALS } from "../core/signals.js";
import { resolveCommand } from "../render/child.js";
import { childEnv } from "../render/config.js";
import { LazyLogger } from "../render/log.js";
import { childStartError, RenderUsageError } from "../render/run-errors.js";
import { prepare, type Prepared } from "../render/run.js";
import { requireExecve, supervise } from "../render/supervise.js";
import { reportFailure } from "./exit.js";
import { parseRenderOptions, type RawRenderOptions } from "./render-options.js";
import { registryAccess } from "./render-run.js";
import { defaultSignal, takeSignals } from "./signals.js";

export async function runExec(raw: RawRenderOptions, command: string[]): Promise<number> {
  // Before the program runs there is nothing to forward to: TERM/INT/HUP/QUIT end portolan at once with
  // 128+signal (aborting --wait and the registry read), the others get signals.ts's default (USR1 ignored, ...).
  const early = new AbortController();
  let earlySignal: NodeJS.Signals | undefined;
  const restoreSignals = takeSignals((sig) => {
    if (!ENDING_SIGNALS.includes(sig)) return defaultSignal(sig);
    earlySignal ??= sig;
    early.abort();
  });
  let p: Prepared | undefined;
  try {
    const opts = parseRenderOptions(raw, "exec");
    const [file, ...args] = command;
    if (!file) throw new RenderUsageError("missing the program to run: portolan exec [options] -- CMD [ARGS...]");
    const execve = opts.execReplace ? requireExecve() : undefined;
    const log = new LazyLogger(opts.logLevel);
    p = await prepare(opts, log, registryAccess(log), early.signal);
    if (earlySignal) return 128 + (constants.signals[earlySignal] ?? 0);
    const env = childEnv(p.config);
    if (execve) {
      await p.registry?.close();
      const path = await resolveCommand(file, env.PATH);
      try {
        execve(path, [file, ...args], env);
      } catch (err) {
        throw childStartError({ command: file, args, env, cause: err });
      }
    }
    return await supervise(opts, p, { file, args, env }, log, takeSignals);
  } catch (err) {
    if (earlySignal) return 128 + (constants.signals[earlySignal] ?? 0);
    return reportFailure("exec", err);
  } finally {
    restoreSignals();
    await p?.registry?.close();
  }
}
