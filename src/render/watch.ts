// `--watch`: follow the registry and call back when the locations of the services the templates use change,
// debounced like consul-template's `wait { min, max }`: fire after `minQuietMs` without further change, but
// never later than `maxQuietMs` after the first change of a burst.
import type { Registry } from "../core/registry.js";
import { ServiceDirectory } from "./services.js";

export const DEFAULT_WATCH_MIN_QUIET_MS = 500;
export const DEFAULT_WATCH_MAX_QUIET_MS = 5_000;

export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const REAL_TIMERS: Timers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

/** A min/max quiet-period debouncer: `poke()` on every change, `fire` runs once per burst. */
export class QuietPeriod {
  private minTimer: unknown;
  private maxTimer: unknown;

  constructor(
    private readonly minMs: number,
    private readonly maxMs: number,
    private readonly fire: () => void,
    private readonly timers: Timers = REAL_TIMERS,
  ) {}

  poke(): void {
    if (this.minTimer !== undefined) this.timers.clearTimeout(this.minTimer);
    this.minTimer = this.timers.setTimeout(() => this.flush(), this.minMs);
    if (this.maxTimer === undefined) this.maxTimer = this.timers.setTimeout(() => this.flush(), Math.max(this.minMs, this.maxMs));
  }

  cancel(): void {
    if (this.minTimer !== undefined) this.timers.clearTimeout(this.minTimer);
    if (this.maxTimer !== undefined) this.timers.clearTimeout(this.maxTimer);
    this.minTimer = this.maxTimer = undefined;
  }

  private flush(): void {
    this.cancel();
    this.fire();
  }
}

export interface WatchServicesOptions {
  registry: Registry;
  signal: AbortSignal;
  minQuietMs: number;
  maxQuietMs: number;
  /** The service names the templates currently use (re-read on every snapshot: a re-render may change them). */
  services: () => readonly string[];
  /** Fingerprint of what was last rendered (ServiceDirectory.fingerprint); snapshots with the same one are ignored. */
  initialFingerprint: string;
  /** Re-render with the new locations. Runs one at a time; a burst during a run triggers one more run after it. */
  onChange: (services: ServiceDirectory) => Promise<void>;
  onError?: (err: unknown) => void;
  timers?: Timers;
}

/** Runs until `signal` aborts or the registry's watch ends. */
export async function watchServices(opts: WatchServicesOptions): Promise<void> {
  let seen = opts.initialFingerprint;
  let latest: ServiceDirectory | undefined;
  let running: Promise<void> | undefined;
  let again = false;

  const run = (): void => {
    if (running) {
      again = true;
      return;
    }
    const dir = latest;
    if (!dir) return;
    running = opts
      .onChange(dir)
      .catch((err: unknown) => opts.onError?.(err))
      .finally(() => {
        running = undefined;
        if (again && !opts.signal.aborted) {
          again = false;
          run();
        }
      });
  };
  const quiet = new QuietPeriod(opts.minQuietMs, opts.maxQuietMs, run, opts.timers);
  opts.signal.addEventListener("abort", () => quiet.cancel(), { once: true });

  for await (const snapshot of opts.registry.watch(opts.signal)) {
    const dir = new ServiceDirectory(snapshot);
    const fp = dir.fingerprint(opts.services());
    if (fp === seen) continue;
    seen = fp;
    latest = dir;
    quiet.poke();
  }
  quiet.cancel();
  await running;
}
