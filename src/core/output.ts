// The one place where text leaves the process: every log line, error message, dry-run output and crash report
// goes through writeStderr / writeStdout (or a logger whose destination is redactingStderr), which apply the
// process's Redactor (src/core/redact.ts). Secrets are added to it as soon as configuration loading knows them.
//
// One Redactor per process, even though the render/exec bundles carry their own copy of this module
// (scripts/bundle-render.mjs): it lives on globalThis under a registered symbol.
import { Redactor } from "./redact.js";

const KEY = Symbol.for("portolan.redactor");
const CRASH_KEY = Symbol.for("portolan.crash-handler");

/** The process-wide redactor. */
export function processRedactor(): Redactor {
  const g = globalThis as { [KEY]?: Redactor };
  return (g[KEY] ??= new Redactor());
}

/** Adds secret forms (secretForms()) to the process-wide redactor. */
export function addSecrets(forms: Iterable<string>): void {
  processRedactor().add(forms);
}

export function redact(text: string): string {
  return processRedactor().redact(text);
}

let quietPipes = false;

/**
 * A reader that went away (`portolan render --dry-run | head -c 10`) ends output quietly: EPIPE on stdout or
 * stderr is ignored, and what is left unwritten is dropped. Any other stream error is reported once on stderr.
 */
function ensureQuietPipes(): void {
  if (quietPipes) return;
  quietPipes = true;
  for (const stream of [process.stdout, process.stderr]) {
    stream.on("error", (err: NodeJS.ErrnoException) => {
      if (err.code === "EPIPE") return;
      if (stream !== process.stderr) process.stderr.write(`portolan: cannot write output: ${err.code ?? err.message}\n`);
    });
  }
}

export function writeStdout(text: string): void {
  ensureQuietPipes();
  process.stdout.write(redact(text));
}

export function writeStderr(text: string): void {
  ensureQuietPipes();
  process.stderr.write(redact(text));
}

/** A pino destination: each line redacted, then written to stderr. */
export function redactingStderr(redactText: (s: string) => string = redact): { write(line: string): boolean } {
  ensureQuietPipes();
  return { write: (line: string) => process.stderr.write(redactText(line)) };
}

/** Text for an error that escaped every handler: message and stack, redacted by the writer. */
export function crashText(err: unknown): string {
  if (err instanceof Error) return `portolan: internal error: ${err.stack ?? `${err.name}: ${err.message}`}\n`;
  return `portolan: internal error: ${String(err)}\n`;
}

/**
 * Errors that escape every handler (a bug) are printed redacted and end the process with `code` (EX_SOFTWARE),
 * instead of Node's default report, which prints the raw message and stack.
 */
export function installCrashHandler(code: number): void {
  const g = globalThis as { [CRASH_KEY]?: boolean };
  if (g[CRASH_KEY]) return;
  g[CRASH_KEY] = true;
  const onCrash = (err: unknown) => {
    writeStderr(crashText(err));
    process.exit(code);
  };
  process.on("uncaughtException", onCrash);
  process.on("unhandledRejection", onCrash);
}
