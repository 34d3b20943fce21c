// The versioned catalog snapshot of one source and the readers waiting for a newer one. Every adapter's
// watch() is a producer that publish()es whole catalogs and a watch() over this feed: the waiting, waking,
// versioning and "nothing visible changed" logic lives here once.
import { isDeepStrictEqual } from "node:util";
import type { CatalogSnapshot, Instance } from "./model.js";

export class SnapshotFeed {
  private latest: CatalogSnapshot | undefined;
  private readonly waiters = new Set<() => void>();
  private ended = false;

  /** The newest snapshot, if any was published. */
  get current(): CatalogSnapshot | undefined {
    return this.latest;
  }

  /**
   * Publishes `instances` as the next version and wakes every reader. An identical catalog is not a change:
   * nothing is published and false is returned (`changed: true`: the caller knows it differs, e.g. it is the next
   * snapshot of another feed, and the comparison is skipped). The feed keeps the array: callers hand over a fresh one.
   */
  publish(instances: Instance[], opts?: { changed: true }): boolean {
    if (this.ended || (!opts?.changed && this.latest && isDeepStrictEqual(this.latest.instances, instances))) return false;
    this.latest = { version: (this.latest?.version ?? 0) + 1, instances };
    this.wake();
    return true;
  }

  /** No more snapshots: every reader's watch() ends. */
  end(): void {
    this.ended = true;
    this.wake();
  }

  /**
   * The current snapshot (as soon as there is one), then each newer one. A reader slower than the changes skips
   * to the newest (a catalog is a state, not a log). Ends on end() or when `signal` aborts.
   */
  async *watch(signal?: AbortSignal): AsyncGenerator<CatalogSnapshot> {
    let seen = 0;
    while (!this.ended && !signal?.aborted) {
      const s = this.latest;
      if (s && s.version > seen) {
        seen = s.version;
        yield s;
        continue;
      }
      await this.changed(signal);
    }
  }

  private changed(signal: AbortSignal | undefined): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        this.waiters.delete(done);
        signal?.removeEventListener("abort", done);
        resolve();
      };
      this.waiters.add(done);
      signal?.addEventListener("abort", done, { once: true });
    });
  }

  private wake(): void {
    for (const w of [...this.waiters]) w();
  }
}
