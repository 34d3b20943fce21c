// The catalog under the registry's key prefix: one range read at start (and after a compaction), then one watch
// stream from the revision after it. Every change arrives with its key and value, so a change costs no read at
// all; a dropped stream is reopened from the last revision seen (on the next endpoint, if its member is gone).
import type { Clock } from "../../src/core/clock.js";
import { PortolanError } from "../../src/core/errors.js";
import type { Logger } from "../../src/core/log.js";
import type { CatalogSnapshot, Instance } from "../../src/core/model.js";
import { SnapshotFeed } from "../../src/core/snapshot-feed.js";
import { backoff } from "../../src/core/util.js";
import { kvOf, type EtcdClient, type WatchMessage } from "./client.js";
import { decodeValue, type Layout } from "./layout.js";

export interface WatchOptions {
  layout: Pick<Layout, "prefix" | "zone">;
  base: string;
  logger: Logger;
  clock: Clock;
}

/** Counters for tests and benchmarks: full range reads and watch streams opened. */
export interface WatchStats {
  ranges: number;
  streams: number;
}

export function watchCatalog(client: EtcdClient, o: WatchOptions, stop: AbortSignal, stats?: WatchStats): AsyncIterable<CatalogSnapshot> {
  const feed = new SnapshotFeed();
  void produce(client, o, stop, feed, stats ?? { ranges: 0, streams: 0 }).finally(() => feed.end());
  return feed.watch(stop);
}

async function produce(client: EtcdClient, o: WatchOptions, stop: AbortSignal, feed: SnapshotFeed, stats: WatchStats): Promise<void> {
  const entries = new Map<string, Instance>();
  let revision = 0;
  let needRange = true;
  let attempt = 0;
  const publish = () => feed.publish([...entries.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : a.name < b.name ? -1 : 1)));
  const apply = (key: string, value: string | undefined) => {
    const d = value === undefined ? undefined : decodeValue(o.layout, key, value);
    if (d?.ok) entries.set(key, d.instance);
    else entries.delete(key);
  };
  while (!stop.aborted) {
    const stream = new AbortController();
    const signal = AbortSignal.any([stop, stream.signal]);
    let restart: "compacted" | "canceled" | undefined;
    try {
      if (needRange) {
        const r = await client.rangePrefix(o.base);
        stats.ranges++;
        entries.clear();
        for (const kv of r.kvs) apply(kv.key, kv.value);
        revision = r.revision;
        needRange = false;
        publish();
      }
      const onMessage = (m: WatchMessage) => {
        const res = m.result;
        if (m.error || !res) {
          restart = "canceled";
          o.logger.warn({ error: m.error?.message }, "etcd watch stream error; reopening");
          stream.abort();
          return;
        }
        if (Number(res.compact_revision ?? 0) > 0) {
          restart = "compacted";
          o.logger.info({ revision, compacted: res.compact_revision }, "etcd compacted past the watch's revision: reading the catalog again");
          stream.abort();
          return;
        }
        if (res.canceled) {
          restart = "canceled";
          o.logger.warn({ reason: res.cancel_reason }, "etcd canceled the watch; reopening");
          stream.abort();
          return;
        }
        const events = res.events ?? [];
        for (const ev of events) {
          const kv = kvOf(ev.kv ?? {});
          apply(kv.key, ev.type === "DELETE" ? undefined : kv.value);
          revision = Math.max(revision, kv.modRevision);
        }
        attempt = 0;
        if (events.length > 0) publish();
      };
      const h = await client.watch(o.base, revision + 1, signal, onMessage);
      stats.streams++;
      await h.done.catch((err: unknown) => {
        if (!stream.signal.aborted && !stop.aborted) throw err;
      });
      if (restart === "compacted") needRange = true;
      if (restart === undefined && !stop.aborted) await o.clock.sleep(backoff(attempt++), stop);
    } catch (err) {
      if (stop.aborted) return;
      const e = err instanceof PortolanError ? err : client.translate("watch", err);
      o.logger.warn({ err: e instanceof Error ? e.message : String(e) }, "etcd watch failed; retrying");
      await o.clock.sleep(backoff(attempt++), stop);
    }
  }
}
