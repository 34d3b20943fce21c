// Structured logs: JSON by default, pretty on a TTY; every logger carries a `component` field.
// Never pass a secret value to a logger: log names and provenance, not values. Whatever slips through anyway is
// masked: every line goes through the process's redactor (src/core/output.ts) on its way to stderr.
import { createRequire } from "node:module";
import { pino, type Logger } from "pino";
import { DEFAULT_LOG_LEVEL, LOG_LEVEL_ENV } from "./log-level.js";
import { redact as processRedact, redactingStderr } from "./output.js";

export type { Logger };
export type LogFormat = "json" | "pretty" | "auto";
export { LOG_LEVELS, resolveLogLevel } from "./log-level.js";

export interface LogOptions {
  /** A level already validated by resolveLogLevel(); defaults to $PORTOLAN_LOG_LEVEL, then info. */
  level?: string;
  format?: LogFormat;
  /** Where lines go (tests); by default stderr, redacted, so stdout stays free for command output. */
  destination?: NodeJS.WritableStream;
  /** The redaction applied to every line (default: the process-wide redactor). */
  redact?: (text: string) => string;
}

export function createLogger(opts: LogOptions = {}): Logger {
  const redactText = opts.redact ?? processRedact;
  const out = opts.destination ? { write: (s: string) => opts.destination!.write(redactText(s)) } : redactingStderr(redactText);
  const isTTY = opts.destination ? (opts.destination as { isTTY?: boolean }).isTTY === true : process.stderr.isTTY === true;
  const format = opts.format ?? "auto";
  const pretty = format === "pretty" || (format === "auto" && isTTY);
  const level = opts.level ?? (process.env[LOG_LEVEL_ENV] || DEFAULT_LOG_LEVEL);
  if (pretty) return prettyLogger(level, out);
  return pino({ level, base: undefined, timestamp: pino.stdTimeFunctions.isoTime }, out);
}

/** Pretty lines formatted in this thread (no transport worker), so they pass the same redaction as JSON lines. */
function prettyLogger(level: string, out: { write(s: string): boolean }): Logger {
  let format: ((line: string) => string) | undefined;
  const dest = {
    write(line: string): boolean {
      // pino-pretty is loaded with the first line (a CommonJS package: require through createRequire).
      format ??= loadPretty();
      return out.write(format(line));
    },
  };
  return pino({ level }, dest);
}

function loadPretty(): (line: string) => string {
  const { prettyFactory } = createRequire(import.meta.url)("pino-pretty") as { prettyFactory: (o: object) => (line: string) => string };
  return prettyFactory({ colorize: true });
}

/** A logger that drops everything (tests, library use). */
export function silentLogger(): Logger {
  return pino({ level: "silent" });
}
