// The part of pino's API portolan uses, writing the same lines, for the registrator's bundle only
// (scripts/bundle-render.mjs aliases "pino" to this file there). pino and the packages it loads (thread-stream,
// sonic-boom, serializers, redaction) held about 5 MiB of a registrator's RSS, whose goal is 48 MiB; this is what
// core/log.ts asks of it: pino(options, destination), levels, child(), bindings(), level, isLevelEnabled().
// Lines are pino's: {"level":30,"time":…,<base>,<bindings, parent's first>,<the object's keys>,"msg":…}; keys whose
// value is undefined are left out; a value JSON.stringify cannot write (a cycle, a BigInt) is written as pino's
// fallback writes it (keys sorted, "[Circular]", the BigInt's digits).
// Every other pino feature (serializers, redaction, transports, printf-style arguments) is not here: portolan's
// code passes errors as text (errorText) and formats messages itself. test/unit/small-pino.test.ts compares the
// lines with pino's.
import { hostname } from "node:os";
import type { Logger, LoggerOptions } from "pino";

const LEVELS: Record<string, number> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60, silent: Infinity };
const NAMES = ["trace", "debug", "info", "warn", "error", "fatal"] as const;

interface Destination {
  write(line: string): unknown;
}

type TimeFn = () => string;

function isoTime(): string {
  return `,"time":"${new Date().toISOString()}"`;
}

function epochTime(): string {
  return `,"time":${Date.now()}`;
}

/** `,"k":v` for each key of `o` whose value JSON can write (undefined and functions left out, as JSON.stringify does). */
function fields(o: Record<string, unknown>): string {
  let out = "";
  for (const k of Object.keys(o)) {
    const v = o[k];
    if (v === undefined || typeof v === "function" || typeof v === "symbol") continue;
    out += `,${JSON.stringify(k)}:${json(v)}`;
  }
  return out;
}

/** JSON.stringify, or what pino writes where it fails: keys sorted, a cycle as "[Circular]", a BigInt as a number. */
function json(v: unknown): string {
  try {
    return JSON.stringify(v);
  } catch {
    return safe(v, []);
  }
}

function safe(v: unknown, seen: unknown[]): string {
  if (typeof v === "bigint") return String(v);
  if (v === null || typeof v !== "object") return JSON.stringify(v) ?? "null";
  if (seen.includes(v)) return '"[Circular]"';
  if (typeof (v as { toJSON?: unknown }).toJSON === "function") return safe((v as { toJSON: () => unknown }).toJSON(), seen);
  const inner = [...seen, v];
  if (Array.isArray(v)) return `[${v.map((x) => (x === undefined || typeof x === "function" ? "null" : safe(x, inner))).join(",")}]`;
  const parts: string[] = [];
  for (const k of Object.keys(v).sort()) {
    const x = (v as Record<string, unknown>)[k];
    if (x === undefined || typeof x === "function" || typeof x === "symbol") continue;
    parts.push(`${JSON.stringify(k)}:${safe(x, inner)}`);
  }
  return `{${parts.join(",")}}`;
}

class SmallLogger {
  private threshold: number;
  private levelName: string;

  constructor(
    level: string,
    private readonly dest: Destination,
    private readonly time: TimeFn,
    private readonly chindings: string,
    private readonly bound: Record<string, unknown>,
  ) {
    this.levelName = level;
    this.threshold = LEVELS[level] ?? LEVELS.info!;
    for (const name of NAMES) {
      const n = LEVELS[name]!;
      (this as unknown as Record<string, unknown>)[name] = (obj: unknown, msg?: unknown) => this.write(n, obj, msg);
    }
  }

  get level(): string {
    return this.levelName;
  }

  set level(level: string) {
    if (LEVELS[level] === undefined) throw new Error(`unknown level ${level}`);
    this.levelName = level;
    this.threshold = LEVELS[level]!;
  }

  isLevelEnabled(level: string): boolean {
    return (LEVELS[level] ?? Infinity) >= this.threshold;
  }

  bindings(): Record<string, unknown> {
    return { ...this.bound };
  }

  child(bindings: Record<string, unknown>): SmallLogger {
    return new SmallLogger(this.levelName, this.dest, this.time, this.chindings + fields(bindings), { ...this.bound, ...bindings });
  }

  flush(): void {}

  private write(level: number, obj: unknown, msg: unknown): void {
    if (level < this.threshold) return;
    const withObject = obj !== null && typeof obj === "object";
    const body = withObject ? fields(obj as Record<string, unknown>) : "";
    const text = withObject ? msg : obj;
    const m = text === undefined ? "" : `,"msg":${json(text)}`;
    this.dest.write(`{"level":${level}${this.time()}${this.chindings}${body}${m}}\n`);
  }
}

/** pino(options, destination): `base` (default pid and hostname; undefined for none), `level`, `timestamp`. */
export function pino(opts: LoggerOptions = {}, dest: Destination = { write: (s: string) => process.stdout.write(s) }): Logger {
  const base = "base" in opts ? opts.base : { pid: process.pid, hostname: hostname() };
  const time = typeof opts.timestamp === "function" ? (opts.timestamp as TimeFn) : opts.timestamp === false ? () => "" : epochTime;
  const b = (base ?? {}) as Record<string, unknown>;
  return new SmallLogger(opts.level ?? "info", dest, time, fields(b), {}) as unknown as Logger;
}

pino.stdTimeFunctions = { isoTime, epochTime };
