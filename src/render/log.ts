// A logger for render/exec that loads pino only when a line is actually emitted: importing pino costs about
// a third of `node -e 0`, and a container start that renders nothing new should not pay for it.
import type { Logger } from "../core/log.js";

const LEVELS: Record<string, number> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60, silent: Infinity };

export type LogLevel = "debug" | "info" | "warn" | "error";

export class LazyLogger {
  private readonly threshold: number;
  private root: Promise<Logger> | undefined;
  private logger: Promise<Logger> | undefined;

  /** `level` is validated by the caller (parseRenderOptions -> resolveLogLevel): an unknown one logs at info. */
  constructor(
    private readonly level: string = "info",
    private readonly component = "render",
  ) {
    this.threshold = LEVELS[level] ?? LEVELS.info!;
  }

  enabled(level: LogLevel): boolean {
    return LEVELS[level]! >= this.threshold;
  }

  /** The logger without a component (loads pino): for adapters, which add their own `component`. */
  base(): Promise<Logger> {
    this.root ??= import("../core/log.js").then(({ createLogger }) => createLogger({ level: this.level }));
    return this.root;
  }

  /** This command's logger (loads pino). */
  get(): Promise<Logger> {
    this.logger ??= this.base().then((l) => l.child({ component: this.component }));
    return this.logger;
  }

  async log(level: LogLevel, fields: Record<string, unknown>, msg: string): Promise<void> {
    if (!this.enabled(level)) return;
    (await this.get())[level](fields, msg);
  }
}
