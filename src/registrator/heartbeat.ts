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

/**
 * Time a tick of the heartbeat loop may spend on second and later beats of a container (its backlog): every
 * container's first due beat is always sent, the backlogs share what is left of this budget, and the rest stay due.
 * So a container whose TTL checks ask for more than the backend can take (hundreds of ports with a 1 s TTL) gets its
 * own checks late, never another container's: the loop keeps its 500 ms pace.
 */
export const BACKLOG_BUDGET_MS = MIN_HEARTBEAT_MS / 2;

/**
 * The due entries of one tick in rounds (pure): round k holds the k-th entry of each container (its entries by
 * due time, oldest first; containers by their oldest due entry). Round 0 is every container's first beat.
 */
export function beatRounds<T>(due: readonly T[], containerOf: (t: T) => string, dueAt: (t: T) => number): T[][] {
  const groups = new Map<string, T[]>();
  for (const t of [...due].sort((a, b) => dueAt(a) - dueAt(b))) {
    const key = containerOf(t);
    const g = groups.get(key);
    if (g) g.push(t);
    else groups.set(key, [t]);
  }
  const rounds: T[][] = [];
  for (const g of groups.values()) g.forEach((t, k) => (rounds[k] ??= []).push(t));
  return rounds;
}
