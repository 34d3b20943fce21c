// How exec runs the program once prepare() has written the files: a supervised child (signals forwarded, its exit
// code passed through) and, with --watch, re-rendering when the used services change, then reloading the child.
import { spawn } from "node:child_process";
import { constants } from "node:os";
import { Child } from "./child.js";
import { forwardSignals } from "./forward.js";
import type { LazyLogger } from "./log.js";
import { ExecReplaceUnsupportedError } from "./run-errors.js";
import { logResults, type Prepared, type RenderOptions } from "./run.js";
import type { ServiceDirectory } from "./services.js";
import { buildView, renderAll } from "./templates.js";
import { watchServices } from "./watch.js";
import { writeOutputs } from "./writer.js";

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
function watchAndReload(opts: RenderOptions, p: Prepared, child: Child, env: Record<string, string>, log: LazyLogger, signal: AbortSignal): Promise<void> {
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

/** Gives every signal to `handler` until the returned function is called (src/cli/signals.ts takeSignals). */
export type TakeSignals = (handler: (sig: NodeJS.Signals) => void) => () => void;

/**
 * Runs the program as a supervised child of this process and resolves with its exit code (or 128+signal). From
 * the spawn on, every signal `takeSignals` gives goes to the child; with --watch, files are re-rendered and the
 * child reloaded while it runs.
 */
export async function supervise(opts: RenderOptions, p: Prepared, command: { file: string; args: string[]; env: Record<string, string> }, log: LazyLogger, takeSignals: TakeSignals): Promise<number> {
  const { file, args, env } = command;
  const child = new Child({ command: file, args, env, reloadSignal: opts.reloadSignal, killSignal: opts.killSignal, killTimeoutMs: opts.killTimeoutMs });
  const started = child.start(); // spawns synchronously: from here on, every signal has a program to go to
  const releaseSignals = takeSignals(forwardSignals(child));
  try {
    await started;
    const watching = new AbortController();
    const watch = opts.watch ? watchAndReload(opts, p, child, env, log, watching.signal) : Promise.resolve();
    const exit = await child.exited();
    watching.abort();
    await watch;
    return exit.exitCode;
  } finally {
    releaseSignals();
  }
}
