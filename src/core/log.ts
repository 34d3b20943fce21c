// Structured logs: JSON by default, pretty on a TTY; every logger carries a `component` field.
// Never pass a secret value to a logger: log names and provenance, not values.
import { pino, type Logger } from "pino";

export type { Logger };
export type LogFormat = "json" | "pretty" | "auto";

export interface LogOptions {
  level?: string;
  format?: LogFormat;
  /** Where lines go; defaults to stderr so stdout stays free for command output. */
  destination?: NodeJS.WritableStream;
}

export function createLogger(opts: LogOptions = {}): Logger {
  const dest = opts.destination ?? process.stderr;
  const format = opts.format ?? "auto";
  const pretty = format === "pretty" || (format === "auto" && (dest as { isTTY?: boolean }).isTTY === true);
  const level = opts.level ?? process.env.PORTOLAN_LOG_LEVEL ?? "info";
  if (pretty) {
    return pino({ level }, pino.transport({ target: "pino-pretty", options: { destination: 2, colorize: true } }));
  }
  return pino({ level, base: undefined, timestamp: pino.stdTimeFunctions.isoTime }, dest);
}

/** A logger that drops everything (tests, library use). */
export function silentLogger(): Logger {
  return pino({ level: "silent" });
}
