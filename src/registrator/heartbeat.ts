// How often one entry's health is refreshed (pure): `--ttl-refresh`, else the sooner of half its shortest TTL
// check and the backend's own health expiry.
import type { Instance } from "../core/model.js";

/** Never more often than this, whatever the TTL. */
export const MIN_HEARTBEAT_MS = 500;

export function heartbeatPeriod(i: Instance, ttlRefreshMs: number | undefined, backendRefreshMs: number | undefined): number | undefined {
  if (ttlRefreshMs !== undefined) return ttlRefreshMs;
  const ttls = i.checks.filter((c) => c.type === "ttl" && c.intervalMs).map((c) => c.intervalMs!);
  const half = ttls.length ? Math.max(MIN_HEARTBEAT_MS, Math.min(...ttls) / 2) : undefined;
  const all = [half, backendRefreshMs].filter((x): x is number => x !== undefined);
  return all.length ? Math.min(...all) : undefined;
}
