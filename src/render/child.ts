// The child supervisor (consul-template's child, in Node): one input object with the command, an explicit
// env, the reload/kill signals, the kill timeout and its timers. It spawns with inherited stdio, signals and
// kills the child (forward.ts decides which signals to pass on), and turns the child's end into the exit code
// (its code, or 128+signal number).
import { spawn, type ChildProcess } from "node:child_process";
// fs.promises is loaded on first use: importing node:fs/promises costs ~3 ms at every container start.
import { constants as fsConstants, promises as fsp } from "node:fs";
import { constants } from "node:os";
import { delimiter, join } from "node:path";
import { childStartError, ChildStartError } from "./run-errors.js";
import { REAL_CLOCK, type Clock } from "../core/clock.js";

export { FORWARDED_SIGNALS, STOP_SIGNALS } from "../core/signals.js";

export const DEFAULT_KILL_TIMEOUT_MS = 10_000;
export const DEFAULT_KILL_SIGNAL: NodeJS.Signals = "SIGTERM";
export const DEFAULT_RELOAD_SIGNAL: NodeJS.Signals = "SIGHUP";

/** The longest timer Node keeps (2^31-1 ms, about 24.8 days): longer ones would fire after 1 ms. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

export interface ChildInput {
  command: string;
  args: string[];
  /** The child's whole environment: nothing is inherited implicitly. */
  env: Record<string, string>;
  reloadSignal: NodeJS.Signals;
  killSignal: NodeJS.Signals;
  killTimeoutMs: number;
  /** Time for the kill timeout (tests pass a fake clock); the wait ends with the child's exit either way. */
  clock?: Clock;
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
  /** Armed once by stop(); aborted when the child exits. */
  private killWait: AbortController | undefined;
  private exitPromise: Promise<ChildExit> | undefined;

  constructor(readonly input: ChildInput) {}

  get pid(): number | undefined {
    return this.proc?.pid;
  }

  /** Spawns the child; resolves once it runs, rejects with ChildStartError when it cannot start. */
  start(): Promise<void> {
    const { command, args, env } = this.input;
    let proc: ChildProcess;
    try {
      proc = spawn(command, args, { stdio: "inherit", env });
    } catch (err) {
      // Failures libuv reports synchronously (E2BIG, a NUL byte in a value): named by variable, never by value.
      return Promise.reject(childStartError({ command, args, env, cause: err }));
    }
    this.proc = proc;
    this.exitPromise = new Promise<ChildExit>((resolve) => {
      proc.once("exit", (code, signal) => {
        this.killWait?.abort();
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

  /**
   * Kill: sends `sig` (default: the kill signal), then races the child's exit against the kill timeout (armed
   * once, bounded by MAX_TIMER_MS); SIGKILL when the timeout wins. Resolves when the child has exited.
   */
  stop(sig: NodeJS.Signals = this.input.killSignal): Promise<ChildExit> {
    const exited = this.exited();
    if (!this.signal(sig)) return exited;
    if (this.killWait === undefined) {
      const ms = Math.min(Math.max(this.input.killTimeoutMs, 0), MAX_TIMER_MS);
      const wait = (this.killWait = new AbortController());
      void (this.input.clock ?? REAL_CLOCK).sleep(ms, wait.signal).then(() => {
        if (!wait.signal.aborted) this.signal("SIGKILL");
      });
    }
    return exited;
  }
}
