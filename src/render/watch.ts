// `--watch`: follow the registry and call back when the locations of the services the templates use change,
// debounced like consul-template's `wait { min, max }`: fire after `minQuietMs` without further change, but
// never later than `maxQuietMs` after the first change of a burst.
import type { CatalogSnapshot } from "../core/model.js";
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

/** A registry watch already started (the one whose first snapshot was rendered), and the names it watches. */
export interface OpenWatch {
  names: string[];
  iterator: AsyncIterator<CatalogSnapshot>;
  stop: AbortController;
}

export interface WatchServicesOptions {
  registry: Registry;
  /** Go on with this watch (its first snapshot is the one rendered) instead of opening one: no second read. */
  open?: OpenWatch;
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
  let onRendered = () => {};

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
        onRendered();
        if (again && !opts.signal.aborted) {
          again = false;
          run();
        }
      });
  };
  const quiet = new QuietPeriod(opts.minQuietMs, opts.maxQuietMs, run, opts.timers);
  opts.signal.addEventListener("abort", () => quiet.cancel(), { once: true });

  // Only the services the templates use are watched; a re-render that uses more restarts the watch with them.
  let scope = new AbortController();
  let watched = new Set<string>();
  onRendered = () => {
    if (opts.services().some((n) => !watched.has(n))) scope.abort();
  };
  let open = opts.open;
  while (!opts.signal.aborted) {
    const names = open?.names ?? [...opts.services()];
    watched = new Set(names);
    scope = open?.stop ?? new AbortController();
    const stop = () => scope.abort();
    opts.signal.addEventListener("abort", stop, { once: true });
    const iterator = open?.iterator;
    open = undefined;
    const snapshots = iterator ? { [Symbol.asyncIterator]: () => iterator } : opts.registry.watch(scope.signal, { services: names, passingOnly: true });
    try {
      for await (const snapshot of snapshots) {
        const dir = new ServiceDirectory(snapshot);
        const fp = dir.fingerprint(opts.services());
        if (fp === seen) continue;
        seen = fp;
        latest = dir;
        quiet.poke();
      }
    } finally {
      opts.signal.removeEventListener("abort", stop);
    }
    if (!scope.signal.aborted) break; // the registry's watch ended
  }
  quiet.cancel();
  await running;
}
