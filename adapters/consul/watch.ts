// Catalog watch over Consul blocking queries.
//
// Two long polls cover the whole catalog with two sockets, however many services there are:
//   - GET /v1/catalog/services?index=…  wakes on any service (de)registration; names/tags tell which changed,
//   - GET /v1/health/state/any?index=…  wakes on any check change; each check's ModifyIndex tells which service.
// Only the services marked dirty are re-read (GET /v1/health/service/<name>, a few at a time), so a change costs
// each watcher the answers of the polls it moved plus one read per affected service, whatever the catalog's size.
//
// An instance added to or removed from a service whose name and tags stay the same moves catalog/services without
// saying where. The agent registers a service and its checks in one Raft transaction (and deregisters both in
// one), so the health poll sees a check appear (ModifyIndex == that index) or vanish (its answer's index == that
// index): the change is located there. Only a change that touches no check at that index (an instance without
// checks, a re-registration that changes the port but no check) is found by re-reading every service, after
// waiting `locateGraceMs` for the health poll's answer; every instance portolan registers has its own TTL check.
// Any error resets both indexes: after a Consul restart the new agent's indexes start again near zero and a
// blocking query on the old index would sleep through real changes.
import { isDeepStrictEqual } from "node:util";
import { BackendAuthError } from "../../src/core/errors.js";
import type { Logger } from "../../src/core/log.js";
import type { CatalogSnapshot, Instance } from "../../src/core/model.js";
import { SnapshotFeed } from "../../src/core/snapshot-feed.js";
import { REAL_CLOCK, type Clock } from "../../src/core/clock.js";
import { AbortFanout, backoff, delay, DEFAULT_BACKOFF, type BackoffOptions } from "../../src/core/util.js";
import { isValidInstance, toInstance } from "./mapping.js";
import type { Blocking } from "./client.js";
import type { ConsulCheckState, ConsulHealthEntry } from "./types.js";

export interface WatchSource {
  catalogServices(index: number, waitMs: number, signal: AbortSignal): Promise<Blocking<Record<string, string[]>>>;
  healthState(index: number, waitMs: number, signal: AbortSignal): Promise<Blocking<ConsulCheckState[]>>;
  healthService(name: string, signal: AbortSignal): Promise<Blocking<ConsulHealthEntry[]>>;
}

export interface WatchOptions {
  waitMs: number;
  logger: Logger;
  backoff?: BackoffOptions;
  /** Parallel GET /v1/health/service/<name> while refreshing dirty services. */
  concurrency?: number;
  /** How long a registration change not located by names/tags waits for the health poll to locate it. */
  locateGraceMs?: number;
  clock?: Clock;
  /** Told each time a change could not be located and every service is re-read (for metrics and tests). */
  onUnlocated?: () => void;
}

export const DEFAULT_WATCH_CONCURRENCY = 8;
export const DEFAULT_LOCATE_GRACE_MS = 500;

const MAX_TOUCHED = 256;

interface CheckSeen {
  modifyIndex: number;
  service: string;
  node: string;
}

/** Mutable state shared by the two poll loops and the snapshot loop. */
class WatchState {
  tags: Map<string, string[]> | undefined;
  checks: Map<string, CheckSeen> | undefined;
  readonly instances = new Map<string, Instance[]>();
  readonly nodesOf = new Map<string, Set<string>>();
  /** X-Consul-Index of each service's last read: a check change at or below it is already in that read. */
  readonly readAt = new Map<string, number>();
  dirty = new Set<string>();
  all = false;
  /** Index of a catalog/services change that names/tags did not locate, until the health poll locates it. */
  unlocated: number | undefined;
  /** Raft indexes at which the health poll saw a check appear, change or vanish (newer than the last services answer). */
  private readonly touched = new Set<number>();
  private waiter: (() => void) | undefined;

  wake(): void {
    const w = this.waiter;
    this.waiter = undefined;
    w?.();
  }

  /** Resolves when there is work (both polls answered once and something is dirty or unlocated) or `signal` aborts. */
  async work(signal: AbortSignal): Promise<void> {
    while (!signal.aborted && !(this.tags && this.checks && (this.all || this.dirty.size > 0 || this.unlocated !== undefined))) {
      await this.next(signal);
    }
  }

  /** Resolves on the next wake(), or when `signal` aborts. */
  next(signal: AbortSignal): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = () => {
        signal.removeEventListener("abort", done);
        resolve();
      };
      this.waiter = done;
      signal.addEventListener("abort", done, { once: true });
    });
  }

  /** A registration change at `index` that names/tags do not locate: located if a check moved at that same index. */
  servicesMoved(index: number): void {
    if (!this.touched.has(index)) this.unlocated = Math.max(index, this.unlocated ?? 0);
    for (const i of this.touched) if (i <= index) this.touched.delete(i);
  }

  /** The health poll saw a check appear, change or vanish at Raft index `index`. */
  checkMoved(index: number): void {
    if (this.unlocated === index) this.unlocated = undefined;
    else this.touched.add(index);
    // Only the newest few can still meet a services answer (health-only changes never prune them otherwise).
    if (this.touched.size > MAX_TOUCHED) this.touched.delete(Math.min(...this.touched));
  }

  /** Forgets what was being located (a full re-read covers it). */
  forgetLocating(): void {
    this.unlocated = undefined;
    this.touched.clear();
  }

  markNode(node: string): void {
    let found = false;
    for (const [name, nodes] of this.nodesOf) {
      if (nodes.has(node)) {
        this.dirty.add(name);
        found = true;
      }
    }
    if (!found) this.all = true;
  }

  snapshotInstances(): Instance[] {
    return sortedInstances(this.instances.values());
  }
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
      await delay(ms, signal);
    }
  }
}

function onServices(st: WatchState, body: Record<string, string[]>, reset: boolean, index: number): void {
  const prev = st.tags;
  const next = new Map(Object.entries(body).map(([k, v]) => [k, [...(v ?? [])].sort()]));
  st.tags = next;
  if (!prev || reset) {
    st.all = true;
    st.forgetLocating();
  } else {
    let located = false;
    for (const [name, tags] of next) {
      if (!isDeepStrictEqual(prev.get(name), tags)) {
        st.dirty.add(name);
        located = true;
      }
    }
    for (const name of prev.keys()) {
      if (!next.has(name)) {
        st.dirty.add(name);
        located = true;
      }
    }
    if (!located) st.servicesMoved(index);
  }
  st.wake();
}

function onChecks(st: WatchState, body: ConsulCheckState[], reset: boolean, index: number): void {
  const prev = st.checks;
  const next = new Map<string, CheckSeen>();
  for (const c of body) {
    next.set(`${c.Node ?? ""}\u0000${c.CheckID}`, { modifyIndex: c.ModifyIndex ?? 0, service: c.ServiceName, node: c.Node ?? "" });
  }
  st.checks = next;
  if (!prev || reset) {
    st.all = true;
    st.forgetLocating();
  } else {
    const touch = (c: CheckSeen, at: number) => {
      if (!c.service) st.markNode(c.node);
      else if ((st.readAt.get(c.service) ?? 0) < at) st.dirty.add(c.service);
      st.checkMoved(at);
    };
    for (const [key, c] of next) if (prev.get(key)?.modifyIndex !== c.modifyIndex) touch(c, c.modifyIndex);
    // A deleted check leaves no ModifyIndex: its deletion is this answer's index (the newest change of the table).
    for (const [key, c] of prev) if (!next.has(key)) touch(c, index);
  }
  st.wake();
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

/** Re-reads the given services; returns the names that failed. */
async function refresh(
  src: WatchSource,
  st: WatchState,
  names: string[],
  opts: WatchOptions,
  signal: AbortSignal,
  invalidSeen: Set<string>,
): Promise<string[]> {
  const failed: string[] = [];
  const queue = [...names];
  const worker = async () => {
    for (let name = queue.shift(); name !== undefined; name = queue.shift()) {
      if (!st.tags?.has(name)) {
        st.instances.delete(name);
        st.nodesOf.delete(name);
        st.readAt.delete(name);
        continue;
      }
      try {
        const { body, index } = await src.healthService(name, signal);
        st.readAt.set(name, index);
        st.instances.set(name, entriesToInstances(body, opts.logger, invalidSeen));
        st.nodesOf.set(name, new Set(body.map((e) => e.Node.Node)));
      } catch (err) {
        if (!signal.aborted) opts.logger[err instanceof BackendAuthError ? "debug" : "warn"]({ err: (err as Error).message, service: name }, "consul watch: read failed");
        failed.push(name);
      }
    }
  };
  const n = Math.max(1, Math.min(opts.concurrency ?? DEFAULT_WATCH_CONCURRENCY, names.length));
  await Promise.all(Array.from({ length: n }, worker));
  return failed;
}

/** What runWatch gives the loops of a watch. */
export interface WatchRun {
  /** Aborted when the caller's signal aborts or the reader stops. */
  signal: AbortSignal;
  /** Every request through it gets a signal of its own: `signal` carries one listener however many are in flight. */
  requests: AbortFanout;
  feed: SnapshotFeed;
  /** Ends the watch: the reader's next() throws `err` (a failure no retry can mend, e.g. refused credentials). */
  fail: (err: Error) => void;
}

/** The scaffold of a watch: `start` starts its loops; their snapshots are yielded; they end with the reader. */
export async function* runWatch(signal: AbortSignal, start: (w: WatchRun) => Promise<unknown>[]): AsyncGenerator<CatalogSnapshot> {
  if (signal.aborted) return;
  const ctl = new AbortController();
  const stop = () => ctl.abort();
  signal.addEventListener("abort", stop, { once: true });
  const requests = new AbortFanout(ctl.signal);
  const feed = new SnapshotFeed();
  let failure: Error | undefined;
  const fail = (err: Error) => {
    failure ??= err;
    ctl.abort();
  };
  const loops = start({ signal: ctl.signal, requests, feed, fail });
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

/** Snapshots of the whole catalog: the current state first, then one per change. Ends when `signal` aborts. */
export function watchCatalog(src: WatchSource, opts: WatchOptions, signal: AbortSignal): AsyncGenerator<CatalogSnapshot> {
  return runWatch(signal, ({ signal: s, requests, feed }) => {
    const st = new WatchState();
    const own: WatchSource = {
      catalogServices: (i, w) => requests.run((r) => src.catalogServices(i, w, r)),
      healthState: (i, w) => requests.run((r) => src.healthState(i, w, r)),
      healthService: (name) => requests.run((r) => src.healthService(name, r)),
    };
    return [
      pollLoop("catalog services", (i) => own.catalogServices(i, opts.waitMs, s), (b, r, i) => onServices(st, b, r, i), opts, s),
      pollLoop("health state", (i) => own.healthState(i, opts.waitMs, s), (b, r, i) => onChecks(st, b, r, i), opts, s),
      publishLoop(own, st, feed, opts, s),
    ];
  });
}

/** Re-reads what the polls marked dirty and publishes the catalog once every read succeeded. */
async function publishLoop(src: WatchSource, st: WatchState, feed: SnapshotFeed, opts: WatchOptions, signal: AbortSignal): Promise<void> {
  const invalidSeen = new Set<string>();
  let attempt = 0;
  while (!signal.aborted) {
    await st.work(signal);
    if (st.unlocated !== undefined) await locate(st, opts, signal);
    if (signal.aborted) break;
    const names = st.all ? [...new Set([...(st.tags?.keys() ?? []), ...st.instances.keys()])] : [...st.dirty];
    st.all = false;
    st.dirty = new Set();
    const failed = await refresh(src, st, names, opts, signal, invalidSeen);
    if (signal.aborted) break;
    if (failed.length > 0) {
      for (const name of failed) st.dirty.add(name);
      await delay(backoff(attempt++, opts.backoff ?? DEFAULT_BACKOFF), signal);
      continue;
    }
    attempt = 0;
    feed.publish(st.snapshotInstances());
  }
}

/**
 * Waits (at most locateGraceMs) for the health poll to locate the registration change st.unlocated; when it does
 * not, every service is re-read.
 */
async function locate(st: WatchState, opts: WatchOptions, signal: AbortSignal): Promise<void> {
  const timer = new AbortController();
  const stop = () => timer.abort();
  signal.addEventListener("abort", stop, { once: true });
  let expired = false;
  const grace = (opts.clock ?? REAL_CLOCK).sleep(opts.locateGraceMs ?? DEFAULT_LOCATE_GRACE_MS, timer.signal).then(() => {
    expired = true;
    st.wake();
  });
  try {
    while (st.unlocated !== undefined && !expired && !signal.aborted) await st.next(signal);
  } finally {
    signal.removeEventListener("abort", stop);
    timer.abort();
    await grace;
  }
  if (st.unlocated === undefined || signal.aborted) return;
  opts.logger.debug({ index: st.unlocated }, "consul watch: a registration change that no poll located; every service is re-read");
  st.forgetLocating();
  st.all = true;
  opts.onUnlocated?.();
}
