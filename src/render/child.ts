// The child supervisor (consul-template's child, in Node): one input object with the command, an explicit
// env, the reload/kill signals and the kill timeout. It spawns with inherited stdio, forwards every catchable
// signal, and turns the child's end into the exit code (its code, or 128+signal number).
import { spawn, type ChildProcess } from "node:child_process";
// fs.promises is loaded on first use: importing node:fs/promises costs ~3 ms at every container start.
import { constants as fsConstants, promises as fsp } from "node:fs";
import { constants } from "node:os";
import { delimiter, join } from "node:path";
import { ChildStartError } from "./run-errors.js";

export const DEFAULT_KILL_TIMEOUT_MS = 10_000;
export const DEFAULT_KILL_SIGNAL: NodeJS.Signals = "SIGTERM";
export const DEFAULT_RELOAD_SIGNAL: NodeJS.Signals = "SIGHUP";

/**
 * Signals portolan catches and passes on to the child. SIGKILL/SIGSTOP cannot be caught; SIGCHLD, SIGPIPE and
 * fault signals (SIGSEGV, SIGBUS, ...) are about portolan itself. A SIGUSR1 handler also keeps Node's inspector off.
 */
export const FORWARDED_SIGNALS: readonly NodeJS.Signals[] = [
  "SIGTERM", "SIGINT", "SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2", "SIGWINCH", "SIGCONT", "SIGALRM", "SIGTSTP", "SIGTTIN", "SIGTTOU",
];

/** Signals that mean "shut down": forwarded, then SIGKILL once the kill timeout passes. */
export const STOP_SIGNALS: readonly NodeJS.Signals[] = ["SIGTERM", "SIGINT"];

export interface ChildInput {
  command: string;
  args: string[];
  /** The child's whole environment: nothing is inherited implicitly. */
  env: Record<string, string>;
  reloadSignal: NodeJS.Signals;
  killSignal: NodeJS.Signals;
  killTimeoutMs: number;
}

export interface ChildExit {
  /** What portolan exits with: the child's code, or 128 + signal number when a signal ended it. */
  exitCode: number;
  code: number | null;
  signal: NodeJS.Signals | null;
}

export function exitCodeOf(code: number | null, signal: NodeJS.Signals | null): number {
  if (signal) return 128 + (constants.signals[signal] ?? 0);
  return code ?? 0;
}

/** Parses "SIGHUP", "HUP" or "hup"; undefined when no such signal. */
export function parseSignal(text: string): NodeJS.Signals | undefined {
  const up = text.trim().toUpperCase();
  const name = (up.startsWith("SIG") ? up : `SIG${up}`) as NodeJS.Signals;
  return name in constants.signals ? name : undefined;
}

/** execve(2) does not search PATH: finds `file` the way a shell would (unchanged when it contains a slash). */
export async function resolveCommand(file: string, path: string | undefined): Promise<string> {
  if (file.includes("/")) return file;
  for (const dir of (path ?? "/usr/local/bin:/usr/bin:/bin").split(delimiter)) {
    const candidate = join(dir || ".", file);
    try {
      await fsp.access(candidate, fsConstants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  throw new ChildStartError({ command: file, cause: new Error("not found in PATH") });
}

export class Child {
  private proc: ChildProcess | undefined;
  private killTimer: NodeJS.Timeout | undefined;
  private exitPromise: Promise<ChildExit> | undefined;

  constructor(readonly input: ChildInput) {}

  get pid(): number | undefined {
    return this.proc?.pid;
  }

  /** Spawns the child; resolves once it runs, rejects with ChildStartError when it cannot start. */
  start(): Promise<void> {
    const { command, args, env } = this.input;
    const proc = spawn(command, args, { stdio: "inherit", env });
    this.proc = proc;
    this.exitPromise = new Promise<ChildExit>((resolve) => {
      proc.once("exit", (code, signal) => {
        if (this.killTimer) clearTimeout(this.killTimer);
        resolve({ exitCode: exitCodeOf(code, signal), code, signal });
      });
    });
    return new Promise<void>((resolve, reject) => {
      proc.once("spawn", () => resolve());
      proc.once("error", (err) => reject(new ChildStartError({ command, cause: err })));
    });
  }

  /** Resolves when the child has exited. */
  exited(): Promise<ChildExit> {
    if (!this.exitPromise) throw new Error("child not started");
    return this.exitPromise;
  }

  /** Sends a signal if the child still runs; false when it is gone. */
  signal(sig: NodeJS.Signals): boolean {
    const p = this.proc;
    if (!p || p.exitCode !== null || p.signalCode !== null) return false;
    try {
      return p.kill(sig);
    } catch {
      return false;
    }
  }

  reload(): boolean {
    return this.signal(this.input.reloadSignal);
  }

  /** Sends `sig` (default: the kill signal) and arms SIGKILL after the kill timeout (once). */
  stop(sig: NodeJS.Signals = this.input.killSignal): Promise<ChildExit> {
    this.signal(sig);
    if (!this.killTimer) {
      this.killTimer = setTimeout(() => this.signal("SIGKILL"), this.input.killTimeoutMs);
      this.killTimer.unref();
    }
    return this.exited();
  }
}

/** Where signals are received (the process, or a fake in tests). */
export interface SignalSource {
  on(sig: NodeJS.Signals, fn: (sig: NodeJS.Signals) => void): unknown;
  off(sig: NodeJS.Signals, fn: (sig: NodeJS.Signals) => void): unknown;
}

/**
 * Forwards every signal in FORWARDED_SIGNALS to the child; stop signals also arm the kill timeout.
 * Returns the function that removes the handlers (call it once the child has exited).
 */
export function forwardSignals(child: Child, source: SignalSource = process, onSignal?: (sig: NodeJS.Signals) => void): () => void {
  const handler = (sig: NodeJS.Signals) => {
    onSignal?.(sig);
    if (STOP_SIGNALS.includes(sig)) void child.stop(sig);
    else child.signal(sig);
  };
  for (const sig of FORWARDED_SIGNALS) source.on(sig, handler);
  return () => {
    for (const sig of FORWARDED_SIGNALS) source.off(sig, handler);
  };
}
