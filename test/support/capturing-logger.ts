// A pino logger whose JSON lines are kept in memory, for tests that check what was logged.
import { Writable } from "node:stream";
import { pino, type Logger } from "pino";

/** A logger whose JSON lines land in `lines`. */
export function capturingLogger(): { logger: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const dest = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const l of chunk.toString("utf8").split("\n")) if (l.trim()) lines.push(JSON.parse(l) as Record<string, unknown>);
      cb();
    },
  });
  return { logger: pino({ level: "debug", base: undefined }, dest), lines };
}
