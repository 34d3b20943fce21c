// Log level options, validated before anything else runs (no pino here: render/exec load pino only when a line
// is logged). Every command takes `--log-level` and falls back to $PORTOLAN_LOG_LEVEL, then `info`; a bad value
// in either is a usage error naming where it came from.
import { UsageError } from "./errors.js";

export const LOG_LEVELS = ["trace", "debug", "info", "warn", "error", "fatal", "silent"] as const;
export type LogLevelName = (typeof LOG_LEVELS)[number];
export const LOG_LEVEL_ENV = "PORTOLAN_LOG_LEVEL";
export const DEFAULT_LOG_LEVEL: LogLevelName = "info";

/** A bad `--log-level` or $PORTOLAN_LOG_LEVEL (a usage error: exit 64). */
export class LogLevelError extends UsageError {
  override name = "LogLevelError";
  /** `--log-level` or `PORTOLAN_LOG_LEVEL`. */
  readonly setting: string;
  constructor(setting: string, value: string) {
    super(`${setting} ${JSON.stringify(value)}: expected one of ${LOG_LEVELS.join(", ")}`);
    this.setting = setting;
  }
}

const isLevel = (s: string): s is LogLevelName => (LOG_LEVELS as readonly string[]).includes(s);

/** `--log-level` (when given), else $PORTOLAN_LOG_LEVEL (when set and non-empty), else `info`. Throws LogLevelError. */
export function resolveLogLevel(flag: string | undefined, env: Record<string, string | undefined> = process.env): LogLevelName {
  const [where, text] = flag !== undefined ? ["--log-level", flag] : [LOG_LEVEL_ENV, env[LOG_LEVEL_ENV] || undefined];
  if (text === undefined) return DEFAULT_LOG_LEVEL;
  if (!isLevel(text)) throw new LogLevelError(where, text);
  return text;
}
