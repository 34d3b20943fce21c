// The locator mode of the whole-catalog watch (watch.ts), for a catalog of more services than it holds long polls
// for: one more blocking query, GET /v1/health/state/any?index=…, wakes on any check change, and each check's
// ModifyIndex tells which service changed. Only the services marked dirty are re-read (GET /v1/health/service/<name>,
// a few at a time), so a change costs one read per affected service, but the health poll's answer lists every check
// of the catalog: its bytes grow with the number of instances.
//
// An instance added to or removed from a service whose name and tags stay the same moves catalog/services without
// saying where. The agent registers a service and its checks in one Raft transaction (and deregisters both in
// one), so the health poll sees a check appear (ModifyIndex == that index) or vanish (its answer's index == that
// index): the change is located there. Only a change that touches no check at that index (an instance without
// checks, a re-registration that changes the port but no check) is found by re-reading every service, after
// waiting `locateGraceMs` for the health poll's answer; every instance portolan registers has its own TTL check.
// Any error resets both indexes (pollLoop) and re-reads every service.
import { isDeepStrictEqual } from "node:util";
import { BackendAuthError } from "../../src/core/errors.js";
import type { Instance } from "../../src/core/model.js";
import type { SnapshotFeed } from "../../src/core/snapshot-feed.js";
import { REAL_CLOCK } from "../../src/core/clock.js";
import { AbortFanout, backoff, DEFAULT_BACKOFF } from "../../src/core/util.js";
import type { Blocking } from "./client.js";
import type { ConsulCheckState, ConsulHealthEntry } from "./types.js";
import { entriesToInstances, pollLoop, retrySleep, sortedInstances, type WatchOptions } from "./watch-loop.js";

/** What the locator asks of the agent. */
export interface LocateSource {
  healthState(index: number, waitMs: number, signal: AbortSignal): Promise<Blocking<ConsulCheckState[]>>;
  healthService(name: string, signal: AbortSignal): Promise<Blocking<ConsulHealthEntry[]>>;
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

/** Re-reads the given services; returns the names that failed. */
async function refresh(
  src: LocateSource,
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

/**
 * The locator, fed the answers of the watch's catalog/services poll (names()); it publishes to `feed` once the first
 * answers of both polls are in and every service was read, then once per change. Ends when `parent` aborts or stop().
 */
export class Locator {
  private readonly st = new WatchState();
  private readonly ctl = new AbortController();
  private readonly requests: AbortFanout;
  private readonly loops: Promise<void>[];
  private readonly abort = () => this.ctl.abort();

  constructor(
    src: LocateSource,
    feed: SnapshotFeed,
    opts: WatchOptions,
    private readonly parent: AbortSignal,
  ) {
    if (parent.aborted) this.ctl.abort();
    parent.addEventListener("abort", this.abort, { once: true });
    const requests = (this.requests = new AbortFanout(this.ctl.signal));
    const s = this.ctl.signal;
    const own: LocateSource = {
      healthState: (i, w) => requests.run((r) => src.healthState(i, w, r)),
      healthService: (name) => requests.run((r) => src.healthService(name, r)),
    };
    this.loops = [
      pollLoop("health state", (i) => own.healthState(i, opts.waitMs, s), (b, r, i) => onChecks(this.st, b, r, i), opts, s),
      publishLoop(own, this.st, feed, opts, s),
    ];
  }

  /** An answer of the catalog/services poll. */
  names(body: Record<string, string[]>, reset: boolean, index: number): void {
    onServices(this.st, body, reset, index);
  }

  /** Aborts both loops and their requests; resolves once they ended (nothing is published after). */
  async stop(): Promise<void> {
    this.parent.removeEventListener("abort", this.abort);
    this.ctl.abort();
    await Promise.allSettled(this.loops);
    this.requests.dispose();
  }
}

/** Re-reads what the polls marked dirty and publishes the catalog once every read succeeded. */
async function publishLoop(src: LocateSource, st: WatchState, feed: SnapshotFeed, opts: WatchOptions, signal: AbortSignal): Promise<void> {
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
      opts.recovery?.failed();
      await retrySleep(backoff(attempt++, opts.backoff ?? DEFAULT_BACKOFF), opts, signal);
      continue;
    }
    attempt = 0;
    opts.recovery?.succeeded();
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
