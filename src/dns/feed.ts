// Keeps a DNS server's catalog current: the Registry's watch() snapshots go to `update`. After each one the
// loop yields to the event loop before pulling the next, so a burst of changes (10,000 registrations) is
// indexed once, from the latest snapshot, not once per change. A watch that fails is resumed with backoff
// (adapters already retry inside; this covers the rest).
import type { Logger } from "../core/log.js";
import type { CatalogSnapshot } from "../core/model.js";
import type { Registry } from "../core/registry.js";
import { backoff, delay } from "../core/util.js";

export async function feedSnapshots(registry: Registry, update: (s: CatalogSnapshot) => void, signal: AbortSignal, log: Logger): Promise<void> {
  let attempt = 0;
  while (!signal.aborted) {
    try {
      for await (const snapshot of registry.watch(signal)) {
        attempt = 0;
        update(snapshot);
        await new Promise((resolve) => setImmediate(resolve));
      }
      return;
    } catch (err) {
      if (signal.aborted) return;
      log.warn({ err: err instanceof Error ? err.message : String(err), attempt }, "catalog watch failed; retrying");
      await delay(backoff(attempt++), signal);
    }
  }
}
