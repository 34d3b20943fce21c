// Server metrics: queries by type and rcode, cache hits, forwards, TCP connections, a latency histogram.
// Plain counters on the hot path; names are made only when stats() is read.
import { rcodeName, typeName } from "./wire.js";

/** Upper bounds of the latency buckets, microseconds (time spent inside the server per query). */
export const LATENCY_BUCKETS_US = [25, 50, 100, 250, 500, 1000, 2500, 5000, 10_000, 50_000, 250_000, 1_000_000] as const;

export interface DnsStatsSnapshot {
  queries: number;
  byType: Record<string, number>;
  byRcode: Record<string, number>;
  /** Queries per (type, rcode) pair; byType and byRcode are its sums. */
  byTypeRcode: { type: string; rcode: string; count: number }[];
  cache: { hits: number; misses: number; entries: number };
  forwarded: number;
  forwardFailures: number;
  dropped: number;
  tcp: { accepted: number; open: number; closedIdle: number };
  /** Cumulative counts per bucket (Prometheus style: counts[i] = queries <= bucketsUs[i]); the last is +Inf. */
  latency: { bucketsUs: readonly number[]; counts: number[]; sumUs: number; count: number };
  catalogVersion: number;
}

export class DnsStats {
  queries = 0;
  /** Keyed qtype * 65536 + rcode: one map update per query. */
  private readonly byTypeRcode = new Map<number, number>();
  cacheHits = 0;
  cacheMisses = 0;
  forwarded = 0;
  forwardFailures = 0;
  dropped = 0;
  tcpAccepted = 0;
  tcpOpen = 0;
  tcpClosedIdle = 0;
  private readonly buckets = new Array<number>(LATENCY_BUCKETS_US.length + 1).fill(0);
  private sumUs = 0;

  record(qtype: number, rcode: number, cached: boolean, micros: number): void {
    this.queries++;
    const key = qtype * 65536 + rcode;
    this.byTypeRcode.set(key, (this.byTypeRcode.get(key) ?? 0) + 1);
    if (cached) this.cacheHits++;
    else this.cacheMisses++;
    let i = 0;
    while (i < LATENCY_BUCKETS_US.length && micros > LATENCY_BUCKETS_US[i]!) i++;
    this.buckets[i]!++;
    this.sumUs += micros;
  }

  snapshot(cacheEntries: number, catalogVersion: number): DnsStatsSnapshot {
    let running = 0;
    const counts = this.buckets.map((c) => (running += c));
    const pairs = [...this.byTypeRcode].map(([k, count]) => ({ type: typeName(Math.floor(k / 65536)), rcode: rcodeName(k % 65536), count }));
    return {
      queries: this.queries,
      ...pairSums(pairs),
      byTypeRcode: pairs,
      cache: { hits: this.cacheHits, misses: this.cacheMisses, entries: cacheEntries },
      forwarded: this.forwarded,
      forwardFailures: this.forwardFailures,
      dropped: this.dropped,
      tcp: { accepted: this.tcpAccepted, open: this.tcpOpen, closedIdle: this.tcpClosedIdle },
      latency: { bucketsUs: LATENCY_BUCKETS_US, counts, sumUs: Math.round(this.sumUs), count: running },
      catalogVersion,
    };
  }
}

function pairSums(pairs: DnsStatsSnapshot["byTypeRcode"]): Pick<DnsStatsSnapshot, "byType" | "byRcode"> {
  const byType: Record<string, number> = {};
  const byRcode: Record<string, number> = {};
  for (const p of pairs) {
    byType[p.type] = (byType[p.type] ?? 0) + p.count;
    byRcode[p.rcode] = (byRcode[p.rcode] ?? 0) + p.count;
  }
  return { byType, byRcode };
}

/** The sum of several servers' stats (workers of one `--workers N` shim). */
export function mergeStats(all: readonly DnsStatsSnapshot[]): DnsStatsSnapshot {
  const sumMap = (pick: (s: DnsStatsSnapshot) => Record<string, number>) => {
    const out: Record<string, number> = {};
    for (const s of all) for (const [k, v] of Object.entries(pick(s))) out[k] = (out[k] ?? 0) + v;
    return out;
  };
  const sum = (pick: (s: DnsStatsSnapshot) => number) => all.reduce((n, s) => n + pick(s), 0);
  const pairs = Object.entries(sumMap((s) => Object.fromEntries(s.byTypeRcode.map((p) => [`${p.type} ${p.rcode}`, p.count])))).map(([k, count]) => {
    const [type, rcode] = k.split(" ") as [string, string];
    return { type, rcode, count };
  });
  return {
    queries: sum((s) => s.queries),
    ...pairSums(pairs),
    byTypeRcode: pairs,
    cache: { hits: sum((s) => s.cache.hits), misses: sum((s) => s.cache.misses), entries: sum((s) => s.cache.entries) },
    forwarded: sum((s) => s.forwarded),
    forwardFailures: sum((s) => s.forwardFailures),
    dropped: sum((s) => s.dropped),
    tcp: { accepted: sum((s) => s.tcp.accepted), open: sum((s) => s.tcp.open), closedIdle: sum((s) => s.tcp.closedIdle) },
    latency: {
      bucketsUs: LATENCY_BUCKETS_US,
      counts: LATENCY_BUCKETS_US.map((_, i) => sum((s) => s.latency.counts[i] ?? 0)).concat(sum((s) => s.latency.counts[LATENCY_BUCKETS_US.length] ?? 0)),
      sumUs: sum((s) => s.latency.sumUs),
      count: sum((s) => s.latency.count),
    },
    catalogVersion: all.reduce((v, s) => Math.min(v, s.catalogVersion), all[0]?.catalogVersion ?? 0),
  };
}
