// The DNS shim's figures as the catalog's /metrics families (`portolan up`: shim and catalog in one process).
import type { MetricFamily, MetricsSource } from "../catalog/metrics.js";
import type { DnsStatsSnapshot } from "../dns/stats.js";

const US = 1_000_000;

const counter = (name: string, help: string, value: number): MetricFamily => ({ name, help, type: "counter", samples: [{ value }] });
const gauge = (name: string, help: string, value: number): MetricFamily => ({ name, help, type: "gauge", samples: [{ value }] });
const byTypeRcode = (s: DnsStatsSnapshot) =>
  [...s.byTypeRcode]
    .sort((a, b) => a.type.localeCompare(b.type) || a.rcode.localeCompare(b.rcode))
    .map((p) => ({ labels: { type: p.type, rcode: p.rcode }, value: p.count }));

/** A stats snapshot as Prometheus families: queries by type and rcode, TCP gauges, the latency histogram in seconds. */
export function dnsMetricFamilies(s: DnsStatsSnapshot): MetricFamily[] {
  const { bucketsUs, counts } = s.latency;
  return [
    { name: "portolan_dns_queries_total", help: "DNS queries answered, by query type and response code", type: "counter", samples: byTypeRcode(s) },
    counter("portolan_dns_cache_hits_total", "DNS answers served from the encoded-answer cache", s.cache.hits),
    counter("portolan_dns_cache_misses_total", "DNS answers built (not in the cache)", s.cache.misses),
    gauge("portolan_dns_cache_entries", "Encoded answers in the DNS cache", s.cache.entries),
    counter("portolan_dns_forwarded_total", "DNS queries forwarded to a recursor", s.forwarded),
    counter("portolan_dns_forward_failures_total", "Forwarded DNS queries no recursor answered (SERVFAIL)", s.forwardFailures),
    counter("portolan_dns_dropped_total", "DNS packets dropped as unparseable", s.dropped),
    counter("portolan_dns_tcp_connections_total", "DNS TCP connections accepted", s.tcp.accepted),
    gauge("portolan_dns_tcp_connections_open", "DNS TCP connections open", s.tcp.open),
    counter("portolan_dns_tcp_idle_closed_total", "DNS TCP connections closed after the idle timeout", s.tcp.closedIdle),
    gauge("portolan_dns_catalog_version", "Catalog snapshot version the DNS shim answers from", s.catalogVersion),
    {
      name: "portolan_dns_query_duration_seconds",
      help: "Time spent inside the DNS server per query",
      type: "histogram",
      buckets: counts.map((count, i) => ({ le: i < bucketsUs.length ? bucketsUs[i]! / US : Infinity, count })),
      sum: s.latency.sumUs / US,
      count: s.latency.count,
    },
  ];
}

/** The catalog's view of a running shim: its latest stats at each scrape. */
export function dnsMetricsSource(dns: { stats(): Promise<DnsStatsSnapshot> }): MetricsSource {
  return { families: async () => dnsMetricFamilies(await dns.stats()) };
}
