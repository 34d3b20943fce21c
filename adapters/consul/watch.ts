// Catalog watch over Consul blocking queries: one long poll per service, as consul-template and Consul's DNS do.
//
//   - GET /v1/catalog/services?index=…  the set of names (and tags): wakes on a (de)registration anywhere, never on
//     a health change; its answer grows with the number of services, not instances.
//   - GET /v1/health/service/<name>?index=…  one per name: Consul keeps an index per service, so a service's poll
//     wakes only when that service changes (an instance added, removed or re-registered, a check's status).
//
// A new name starts its poll (its first read); a name gone aborts its poll and drops its instances. A health change
// costs one answer (that service's poll), an instance added or removed two (the names and that service's poll), and
// the bytes are that service's entries plus the names; idle, only the long polls' timeouts. Each poll holds one
// socket to the agent (the HTTP agent does not cap sockets: no poll waits behind another), and Consul limits
// connections per client address (`limits.http_max_conns_per_client`, 200 by default), so above `servicePolls`
// names the watch follows the whole catalog with the locator instead (watch-locate.ts: one health-state poll whose
// answer lists every check), and comes back to per-service polls when the names are again within the cap; each
// switch is logged once and keeps the last snapshot until the new mode has read everything (never an empty one). A
// poll the agent refuses for too many connections from this address (HTTP 429) sends the watch to the locator for
// good. A service's poll waits five times the watch's wait: idle, each answers once per wait with all its entries.
// Every poll resets its own index on any error (pollLoop): after an agent restart each one reads its service again.
import { BackendUnavailableError } from "../../src/core/errors.js";
import type { CatalogSnapshot, Instance } from "../../src/core/model.js";
import type { SnapshotFeed } from "../../src/core/snapshot-feed.js";
import type { Blocking } from "./client.js";
import type { ConsulHealthEntry } from "./types.js";
import { Locator, type LocateSource } from "./watch-locate.js";
import { entriesToInstances, pollLoop, runWatch, sortedInstances, type WatchOptions } from "./watch-loop.js";

export interface WatchSource extends LocateSource {
  catalogServices(index: number, waitMs: number, signal: AbortSignal): Promise<Blocking<Record<string, string[]>>>;
  /** GET /v1/health/service/<name>, blocking on `index` (0: answer at once). */
  healthService(name: string, signal: AbortSignal, index?: number, waitMs?: number): Promise<Blocking<ConsulHealthEntry[]>>;
}

export interface CatalogWatchOptions extends WatchOptions {
  /** At most this many per-service long polls; more names: the locator (0: always the locator). */
  servicePolls?: number;
}

/**
 * 128 polls (129 sockets with the names' poll): one whole-catalog reader per host (`up`, or `dns`) and its registrator
 * stay below the agent's default limit of 200 connections per client address.
 */
export const DEFAULT_SERVICE_POLLS = 128;

/**
 * The wait of a service's poll: five times the watch's wait (5 min by default, Consul's maximum is 10): idle, each
 * poll answers once per wait with its service's whole entry list, so an idle reader would otherwise be sent the whole
 * catalog once a minute.
 */
export function serviceWaitMs(waitMs: number): number {
  return Math.min(600_000, waitMs * 5);
}

/** The agent refused a connection: too many from this address (limits.http_max_conns_per_client). */
function isConnectionLimit(err: unknown): boolean {
  return err instanceof BackendUnavailableError && err.status === 429;
}

/** One long poll per service; publishes once every name was read, then on each change. */
class ServicePolls {
  private readonly polls = new Map<string, AbortController>();
  private readonly running = new Set<Promise<void>>();
  private readonly lists = new Map<string, Instance[]>();
  private readonly invalidSeen = new Set<string>();
  private wanted = new Set<string>();
  /** Every name was read once: from then on a new name's instances join when its first read comes. */
  private complete = false;
  private stopped = false;
  private readonly abortAll = () => {
    for (const c of this.polls.values()) c.abort();
  };

  constructor(
    private readonly src: WatchSource,
    private readonly feed: SnapshotFeed,
    private readonly opts: WatchOptions,
    private readonly parent: AbortSignal,
    /** Told when the agent refuses a poll for too many connections from this address. */
    private readonly onLimit: () => void,
  ) {
    parent.addEventListener("abort", this.abortAll, { once: true });
  }

  /** An answer of the catalog/services poll: starts the polls of new names, ends those of names gone. */
  names(body: Record<string, string[]>): void {
    this.wanted = new Set(Object.keys(body));
    for (const [name, c] of this.polls) {
      if (this.wanted.has(name)) continue;
      c.abort();
      this.polls.delete(name);
      this.lists.delete(name);
    }
    for (const name of this.wanted) if (!this.polls.has(name)) this.start(name);
    this.publish();
  }

  private start(name: string): void {
    const c = new AbortController();
    if (this.parent.aborted || this.stopped) c.abort();
    this.polls.set(name, c);
    const loop = pollLoop<ConsulHealthEntry[]>(
      `service ${name}`,
      (index, signal) =>
        this.src.healthService(name, signal, index, serviceWaitMs(this.opts.waitMs)).catch((err: unknown) => {
          if (isConnectionLimit(err)) this.onLimit();
          throw err;
        }),
      (body) => {
        this.lists.set(name, entriesToInstances(body, this.opts.logger, this.invalidSeen));
        this.publish();
      },
      this.opts,
      c.signal,
    );
    this.running.add(loop);
    void loop.finally(() => this.running.delete(loop));
  }

  private publish(): void {
    if (this.stopped) return;
    if (!this.complete) {
      for (const name of this.wanted) if (!this.lists.has(name)) return;
      this.complete = true;
    }
    this.feed.publish(sortedInstances(this.lists.values()));
  }

  /** Aborts every poll; resolves once they ended (nothing is published after). */
  async stop(): Promise<void> {
    this.stopped = true;
    this.parent.removeEventListener("abort", this.abortAll);
    this.abortAll();
    await Promise.allSettled([...this.running]);
  }
}

type Mode = { kind: "polls"; run: ServicePolls } | { kind: "locator"; run: Locator };

/** Snapshots of the whole catalog: the current state first, then one per change. Ends when `signal` aborts. */
export function watchCatalog(src: WatchSource, opts: CatalogWatchOptions, signal: AbortSignal): AsyncGenerator<CatalogSnapshot> {
  const cap = opts.servicePolls ?? DEFAULT_SERVICE_POLLS;
  return runWatch(signal, opts, ({ opts: o, signal: s, requests, feed }) => {
    let mode: Mode | undefined;
    let limit = cap;
    let last: { body: Record<string, string[]>; reset: boolean; index: number } | undefined;
    const stopping: Promise<void>[] = [];
    const onNames = (body: Record<string, string[]>, reset: boolean, index: number) => {
      last = { body, reset, index };
      const count = Object.keys(body).length;
      const kind = count > limit ? "locator" : "polls";
      if (mode?.kind !== kind) {
        if (mode || kind === "locator") {
          opts.logger.info(
            { services: count, servicePolls: limit },
            kind === "locator"
              ? "consul watch: more services than per-service long polls (servicePolls): following the health state of the whole catalog instead"
              : "consul watch: services within the per-service long polls (servicePolls) again: one long poll per service",
          );
        }
        if (mode) stopping.push(mode.run.stop());
        mode = kind === "polls" ? { kind, run: new ServicePolls(src, feed, o, s, onLimit) } : { kind, run: new Locator(src, feed, o, s) };
      }
      if (mode.kind === "polls") mode.run.names(body);
      else mode.run.names(body, reset, index);
    };
    // Other processes of this host hold connections to the same agent too: past its limit, a poll would never open
    // (retried for ever, the first snapshot waiting on it). The locator needs one socket: it is used from then on.
    const onLimit = () => {
      if (limit === 0 || mode?.kind !== "polls" || !last) return;
      opts.logger.warn(
        { services: Object.keys(last.body).length },
        "consul watch: the agent refused a per-service long poll: too many connections from this address (its limits.http_max_conns_per_client); following the health state of the whole catalog instead (lower servicePolls, or raise the agent's limit)",
      );
      limit = 0;
      onNames(last.body, last.reset, last.index);
    };
    const names = pollLoop("catalog services", (i) => requests.run((r) => src.catalogServices(i, o.waitMs, r)), onNames, o, s);
    return [
      names.then(async () => {
        await mode?.run.stop();
        await Promise.allSettled(stopping);
      }),
    ];
  });
}
