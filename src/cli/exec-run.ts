// `portolan exec [options] -- CMD ARGS...` (no commander here; exec.ts is the command): everything `render` does, then CMD runs as a supervised child
// (signals forwarded, its exit code passed through), or replaces portolan with --exec-replace.
// The child's environment is the process env plus every layered variable (files, spec defaults, NAME_FILE values).
import { spawn } from "node:child_process";
import { constants } from "node:os";
import { childEnv } from "../render/config.js";
import { ENDING_SIGNALS } from "../core/signals.js";
import { Child, resolveCommand } from "../render/child.js";
import { forwardSignals } from "../render/forward.js";
import { buildView, renderAll } from "../render/pipeline.js";
import { childStartError, ExecReplaceUnsupportedError, RenderUsageError } from "../render/run-errors.js";
import type { ServiceDirectory } from "../render/services.js";
import { watchServices } from "../render/watch.js";
import { writeOutputs } from "../render/writer.js";
import { reportFailure } from "./exit.js";
import { logResults, prepare, type Prepared } from "./render-run.js";
import { LazyLogger } from "./render-log.js";
import { parseRenderOptions, type RawRenderOptions, type RenderOptions } from "./render-options.js";
import { defaultSignal, takeSignals } from "./signals.js";

type Execve = (file: string, args: string[], env: Record<string, string>) => never;

/** Fails before anything else runs when --exec-replace cannot work on this Node. */
export function requireExecve(proc: { execve?: unknown; version: string } = process): Execve {
  if (typeof proc.execve !== "function") throw new ExecReplaceUnsupportedError(proc.version);
  return proc.execve as Execve;
}

function runReloadCommand(cmd: string, env: Record<string, string>): Promise<number> {
  return new Promise((resolve) => {
    const p = spawn("/bin/sh", ["-c", cmd], { stdio: "inherit", env });
    p.once("error", () => resolve(127));
    p.once("exit", (code, sig) => resolve(code ?? 128 + (sig ? (constants.signals[sig] ?? 0) : 0)));
  });
}

/** --watch: re-render when used service locations change; reload the child when a file changed. */
function startWatch(opts: RenderOptions, p: Prepared, child: Child, env: Record<string, string>, log: LazyLogger, signal: AbortSignal): Promise<void> {
  let usedServices = p.rendered.services;
  const onChange = async (services: ServiceDirectory) => {
    const rendered = renderAll(p.templates, buildView(p.config, services));
    usedServices = rendered.services;
    const results = await writeOutputs(rendered.outputs);
    await logResults(log, results);
    if (!results.some((r) => r.status === "rendered")) return;
    if (opts.reloadCmd !== undefined) {
      const code = await runReloadCommand(opts.reloadCmd, env);
      if (code !== 0) await log.log("error", { code }, "--reload-cmd failed");
    } else {
      child.signal(opts.reloadSignal);
      await log.log("info", { signal: opts.reloadSignal }, "reload signal sent");
    }
  };
  return watchServices({
    registry: p.registry!,
    ...(p.watch && { open: p.watch }),
    signal,
    minQuietMs: opts.watchMinQuietMs,
    maxQuietMs: opts.watchMaxQuietMs,
    services: () => usedServices,
    initialFingerprint: p.services!.fingerprint(usedServices),
    onChange,
    onError: (err) => void log.log("error", { err: (err as Error).message }, "re-render failed; files and program left as they were"),
  }).catch((err: unknown) => log.log("error", { err: (err as Error).message }, "registry watch ended"));
}

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
    p = await prepare(opts, log, early.signal);
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
    const child = new Child({ command: file, args, env, reloadSignal: opts.reloadSignal, killSignal: opts.killSignal, killTimeoutMs: opts.killTimeoutMs });
    const started = child.start(); // spawns synchronously: from here on, every signal has a program to go to
    const releaseSignals = takeSignals(forwardSignals(child));
    try {
      await started;
      const watching = new AbortController();
      const watch = opts.watch ? startWatch(opts, p, child, env, log, watching.signal) : Promise.resolve();
      const exit = await child.exited();
      watching.abort();
      await watch;
      return exit.exitCode;
    } finally {
      releaseSignals();
    }
  } catch (err) {
    if (earlySignal) return 128 + (constants.signals[earlySignal] ?? 0);
    return reportFailure("exec", err);
  } finally {
    restoreSignals();
    await p?.registry?.close();
  }
}
