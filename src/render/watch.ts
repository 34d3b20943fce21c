// `--watch`: follow the registry and call back when the locations of the services the templates use change,
// debounced like consul-template's `wait { min, max }`: fire after `minQuietMs` without further change, but
// never later than `maxQuietMs` after the first change of a burst.
import { REAL_CLOCK, type Clock } from "../core/clock.js";
import type { CatalogSnapshot } from "../core/model.js";
import type { Registry } from "../core/registry.js";
import { ServiceDirectory } from "./services.js";

export const DEFAULT_WATCH_MIN_QUIET_MS = 500;
export const DEFAULT_WATCH_MAX_QUIET_MS = 5_000;

/** A min/max quiet-period debouncer: `poke()` on every change, `fire` runs once per burst. */
export class QuietPeriod {
  private minWait: AbortController | undefined;
  private maxWait: AbortController | undefined;

  constructor(
    private readonly minMs: number,
    private readonly maxMs: number,
    private readonly fire: () => void,
    private readonly clock: Clock = REAL_CLOCK,
  ) {}

  poke(): void {
    this.minWait?.abort();
    this.minWait = this.after(this.minMs);
    this.maxWait ??= this.after(Math.max(this.minMs, this.maxMs));
  }

  cancel(): void {
    this.minWait?.abort();
    this.maxWait?.abort();
    this.minWait = this.maxWait = undefined;
  }

  /** `fire` after `ms`, unless cancelled (the returned controller) first. */
  private after(ms: number): AbortController {
    const wait = new AbortController();
    void this.clock.sleep(ms, wait.signal).then(() => {
      if (wait.signal.aborted) return;
      this.cancel();
      this.fire();
    });
    return wait;
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

  /** Time for the quiet periods (tests pass a fake clock). */
  clock?: Clock;
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
  const quiet = new QuietPeriod(opts.minQuietMs, opts.maxQuietMs, run, opts.clock);
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
