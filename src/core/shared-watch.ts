// One upstream watch of a Registry shared by every reader in the process. `portolan up` runs the DNS shim and the
// catalog (whose state feeds /v1/events, and so every portolan:// reader) side by side: each calling watch() on the
// backend would cost the backend one watch per reader (two long polls each against Consul, one tree of watches
// against ZooKeeper) and every change one read per reader. Here the first watch() starts the one upstream watch,
// every watch() follows it through a SnapshotFeed, and the upstream stops when the last reader leaves.
import type { Logger } from "./log.js";
import { ForwardingRegistry } from "./forwarding-registry.js";
import type { CatalogSnapshot } from "./model.js";
import type { Registry, WatchScope } from "./registry.js";
import { SnapshotFeed } from "./snapshot-feed.js";
import { backoff, delay } from "./util.js";

interface Upstream {
  feed: SnapshotFeed;
  stop: AbortController;
  done: Promise<void>;
  readers: number;
}

export class SharedWatchRegistry extends ForwardingRegistry {
  private upstream: Upstream | undefined;
  /** Upstream watches started so far (1 however many readers, unless every reader left in between). */
  started = 0;

  constructor(
    inner: Registry,
    private readonly logger?: Logger,
  ) {
    super(inner);
  }

  override async *watch(signal?: AbortSignal, scope?: WatchScope): AsyncGenerator<CatalogSnapshot> {
    // A reader of a few services watches them alone: cheaper than the whole catalog, and not shared.
    if (scope?.services) return yield* this.inner.watch(signal, scope);
    const up = this.upstream ?? this.start();
    up.readers++;
    try {
      yield* up.feed.watch(signal);
    } finally {
      if (--up.readers === 0 && this.upstream === up) {
        this.upstream = undefined;
        up.stop.abort();
        up.feed.end();
        await up.done;
      }
    }
  }

  override async close(): Promise<void> {
    const up = this.upstream;
    this.upstream = undefined;
    up?.stop.abort();
    up?.feed.end();
    await this.inner.close();
    await up?.done;
  }

  private start(): Upstream {
    const feed = new SnapshotFeed();
    const stop = new AbortController();
    const up: Upstream = { feed, stop, readers: 0, done: Promise.resolve() };
    this.started++;
    up.done = this.follow(feed, stop.signal);
    this.upstream = up;
    return up;
  }

  /** Copies the backend's snapshots into `feed` until `signal` aborts; a failed watch is resumed with backoff. */
  private async follow(feed: SnapshotFeed, signal: AbortSignal): Promise<void> {
    let attempt = 0;
    while (!signal.aborted) {
      try {
        for await (const s of this.inner.watch(signal)) {
          attempt = 0;
          feed.publish(s.instances, { changed: true });
        }
        if (!signal.aborted) break; // the backend closed: no more snapshots
      } catch (err) {
        if (signal.aborted) break;
        this.logger?.warn({ err: err instanceof Error ? err.message : String(err), attempt }, "catalog watch failed; retrying");
        await delay(backoff(attempt++), signal);
      }
    }
    feed.end();
  }
}

/** `registry` with one upstream watch shared by all its readers (see SharedWatchRegistry). */
export function shareWatch(registry: Registry, logger?: Logger): SharedWatchRegistry {
  return new SharedWatchRegistry(registry, logger);
}
