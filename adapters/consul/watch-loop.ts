// The scaffold every Consul watch is built of (watch.ts, watch-locate.ts, watch-named.ts): a blocking query run
// for ever (pollLoop: any error resets its index, so after an agent restart, whose indexes start again near zero,
// it does not sleep through real changes on an old index), a service's entries as instances, and runWatch, which
// runs a watch's loops and yields their snapshots until the reader stops.
import { BackendAuthError } from "../../src/core/errors.js";
import type { Logger } from "../../src/core/log.js";
import type { CatalogSnapshot, Instance } from "../../src/core/model.js";
import { SnapshotFeed } from "../../src/core/snapshot-feed.js";
import { REAL_CLOCK, type Clock } from "../../src/core/clock.js";
import { BackendRecovery } from "../../src/core/recovery.js";
import { AbortFanout, backoff, DEFAULT_BACKOFF, type BackoffOptions } from "../../src/core/util.js";
import { isValidInstance, toInstance } from "./mapping.js";
import type { Blocking } from "./client.js";
import type { ConsulHealthEntry } from "./types.js";

export interface WatchOptions {
  waitMs: number;
  logger: Logger;
  backoff?: BackoffOptions;
  /** Parallel GET /v1/health/service/<name> while refreshing dirty services (locator mode). */
  concurrency?: number;
  /** How long a registration change not located by names/tags waits for the health poll to locate it (locator mode). */
  locateGraceMs?: number;
  clock?: Clock;
  /** Told each time a change could not be located and every service is re-read (for metrics and tests). */
  onUnlocated?: () => void;
  /** The agent's reachability probe (ConsulRegistry.ping): while polls fail, it wakes them when the agent is back. */
  ping?: (signal: AbortSignal) => Promise<void>;
  /** Set by runWatch from `ping`: the watch's retries sleep on it (core/recovery.ts). */
  recovery?: BackendRecovery;
}

/** Sleeps a retry's backoff; with opts.recovery, cut short when the agent answers again after an outage. */
export function retrySleep(ms: number, opts: WatchOptions, signal: AbortSignal): Promise<void> {
  return opts.recovery ? opts.recovery.sleep(ms, signal) : (opts.clock ?? REAL_CLOCK).sleep(ms, signal);
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The instances of every list, in snapshot order (name, id, owner). */
export function sortedInstances(lists: Iterable<Instance[]>): Instance[] {
  return [...lists].flat().sort((a, b) => cmp(a.name, b.name) || cmp(a.id, b.id) || cmp(a.owner, b.owner));
}

type Poll<T> = (index: number, signal: AbortSignal) => Promise<Blocking<T>>;

/** Runs one blocking query forever; `onChange(body, reset, index)` sees every new result. */
export async function pollLoop<T>(
  what: string,
  poll: Poll<T>,
  onChange: (body: T, reset: boolean, index: number) => void,
  opts: WatchOptions,
  signal: AbortSignal,
): Promise<void> {
  let index = 0;
  let attempt = 0;
  while (!signal.aborted) {
    try {
      const r = await poll(index, signal);
      if (signal.aborted) return;
      attempt = 0;
      opts.recovery?.succeeded();
      if (index > 0 && r.index === index) continue; // wait expired, nothing changed
      const reset = index === 0 || r.index < index;
      index = Math.max(1, r.index);
      onChange(r.body, reset, r.index);
    } catch (err) {
      if (signal.aborted) return;
      index = 0;
      const ms = backoff(attempt++, opts.backoff ?? DEFAULT_BACKOFF);
      // Refused credentials were reported once, loudly, by the client (AuthFailures): no warning per attempt.
      const level = err instanceof BackendAuthError ? "debug" : "warn";
      opts.logger[level]({ err: (err as Error).message, retryInMs: ms }, `consul watch: ${what} failed`);
      opts.recovery?.failed();
      await retrySleep(ms, opts, signal);
    }
  }
}

/** One service's entries as instances; those that do not fit the model are left out (said once per id, at debug). */
export function entriesToInstances(body: readonly ConsulHealthEntry[], logger: Logger, invalidSeen: Set<string>): Instance[] {
  const list: Instance[] = [];
  for (const e of body) {
    const i = toInstance(e.Service, e.Checks, { nodeName: e.Node.Node, nodeAddress: e.Node.Address, health: "aggregate" });
    if (isValidInstance(i)) list.push(i);
    else if (!invalidSeen.has(i.id)) {
      invalidSeen.add(i.id);
      logger.debug({ id: i.id, name: i.name, port: i.port }, "consul watch: entry does not fit the service model, left out");
    }
  }
  return list;
}

/** What runWatch gives the loops of a watch. */
export interface WatchRun {
  /** The watch's options, with `recovery` when they hold a ping: pass these to the loops. */
  opts: WatchOptions;
  /** Aborted when the caller's signal aborts or the reader stops. */
  signal: AbortSignal;
  /** Every request through it gets a signal of its own: `signal` carries one listener however many are in flight. */
  requests: AbortFanout;
  feed: SnapshotFeed;
  /** Ends the watch: the reader's next() throws `err` (a failure no retry can mend, e.g. refused credentials). */
  fail: (err: Error) => void;
}

/** The scaffold of a watch: `start` starts its loops; their snapshots are yielded; they end with the reader. */
export async function* runWatch(signal: AbortSignal, options: WatchOptions, start: (w: WatchRun) => Promise<unknown>[]): AsyncGenerator<CatalogSnapshot> {
  if (signal.aborted) return;
  const ctl = new AbortController();
  const stop = () => ctl.abort();
  signal.addEventListener("abort", stop, { once: true });
  // Its probe ends with the watch (ctl), also when the reader stops reading.
  const opts = options.ping ? { ...options, recovery: new BackendRecovery({ ping: options.ping, clock: options.clock ?? REAL_CLOCK, signal: ctl.signal }) } : options;
  const requests = new AbortFanout(ctl.signal);
  const feed = new SnapshotFeed();
  let failure: Error | undefined;
  const fail = (err: Error) => {
    failure ??= err;
    ctl.abort();
  };
  const loops = start({ opts, signal: ctl.signal, requests, feed, fail });
  try {
    yield* feed.watch(ctl.signal);
    if (failure) throw failure;
  } finally {
    signal.removeEventListener("abort", stop);
    ctl.abort();
    feed.end();
    await Promise.allSettled(loops);
    requests.dispose();
  }
}
