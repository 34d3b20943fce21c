// Runs the built CLI (dist/, made by `npm run build`, which `npm test` does first) as a real process.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";

export const CLI = new URL("../../dist/src/cli/main.js", import.meta.url).pathname;

export function assertBuilt(): void {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first (npm test does)`);
}

/** Runs the CLI to completion. */
export function runCli(args: string[], env: Record<string, string> = {}, timeoutMs = 30_000) {
  assertBuilt();
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: "utf8", env: { ...process.env, ...env }, timeout: timeoutMs });
  return { code: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

export interface Running {
  proc: ChildProcess;
  /** Everything written to stderr (logs) so far. */
  logs(): string;
  /** What was written to stderr alone. */
  stderr(): string;
  /** Resolves with the exit code (or 128+signal) when the process ends. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** The installed command (a shell script running dist/src/cli/portolan.cjs), as users run it. */
export const BIN = new URL("../../bin/portolan", import.meta.url).pathname;

/** Starts the CLI in the background, logs as JSON on stderr. */
export function startCli(args: string[], env: Record<string, string> = {}): Running {
  assertBuilt();
  return track(spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] }));
}

/** Starts bin/portolan in the background. */
export function startBin(args: string[], env: Record<string, string> = {}): Running {
  assertBuilt();
  return track(spawn(BIN, args, { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] }));
}

/** Sends `signal` and waits for the exit, at most `giveUpMs`: its code (undefined: still running) and how long it took. */
export async function signalAndWait(run: Running, signal: NodeJS.Signals, giveUpMs: number): Promise<{ code: number | null | undefined; tookMs: number }> {
  const sent = Date.now();
  run.proc.kill(signal);
  const end = await Promise.race([run.exited, new Promise<undefined>((r) => setTimeout(r, giveUpMs))]);
  return { code: end?.code, tookMs: Date.now() - sent };
}

/** Collects a started process's output and exit. */
export function track(proc: ChildProcess): Running {
  let logs = "";
  let stderr = "";
  proc.stderr!.setEncoding("utf8").on("data", (d: string) => ((logs += d), (stderr += d)));
  proc.stdout!.setEncoding("utf8").on("data", (d: string) => (logs += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => proc.on("exit", (code, signal) => resolve({ code, signal })));
  return { proc, logs: () => logs, stderr: () => stderr, exited };
}

/** Ends a process startCli() started (SIGTERM), if it still runs, and waits for it to exit. */
export async function stopCli(p: Running | undefined): Promise<void> {
  if (!p || p.proc.exitCode !== null || p.proc.signalCode !== null) return;
  p.proc.kill("SIGTERM");
  await p.exited;
}
