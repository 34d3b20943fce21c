// Watch of named services only (render/exec templates): one blocking query per service,
// GET /v1/health/service/<name>?index=…, as consul-template does for `service "x"`. Start-up reads only those
// services and a change to any other service costs nothing; a change to one of them costs its long poll's answer.
import type { CatalogSnapshot, Instance } from "../../src/core/model.js";
import type { Blocking } from "./client.js";
import type { ConsulHealthEntry } from "./types.js";
import { entriesToInstances, pollLoop, runWatch, sortedInstances, type WatchOptions } from "./watch.js";

export interface NamedSource {
  /** GET /v1/health/service/<name>, blocking on `index` (0: answer at once); only passing entries with `passingOnly`. */
  healthService(name: string, signal: AbortSignal, index?: number, waitMs?: number, passingOnly?: boolean): Promise<Blocking<ConsulHealthEntry[]>>;
}

/**
 * Snapshots holding the instances of `names` only: the first once every name was read, then one per change. With
 * `passingOnly`, Consul leaves out every entry with a check that is not passing (`?passing`), as consul-template's
 * `service "x"` does: a health change costs the answer without the instance.
 */
export function watchNamed(src: NamedSource, names: readonly string[], opts: WatchOptions & { passingOnly?: boolean }, signal: AbortSignal): AsyncGenerator<CatalogSnapshot> {
  return runWatch(signal, ({ signal: s, requests, feed }) => {
    const wanted = [...new Set(names)];
    const lists = new Map<string, Instance[]>();
    const invalidSeen = new Set<string>();
    const publish = () => {
      if (lists.size === wanted.length) feed.publish(sortedInstances(lists.values()));
    };
    publish(); // no names: an empty catalog at once
    return wanted.map((name) =>
      pollLoop<ConsulHealthEntry[]>(
        `service ${name}`,
        (index) => requests.run((r) => src.healthService(name, r, index, opts.waitMs, opts.passingOnly === true)),
        (body) => {
          lists.set(name, entriesToInstances(body, opts.logger, invalidSeen));
          publish();
        },
        opts,
        s,
      ),
    );
  });
}
