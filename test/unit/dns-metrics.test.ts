// The DNS shim's stats as /metrics families: labels by type and rcode, histogram in seconds, cumulative, +Inf.
import { describe, expect, it } from "vitest";
import { familiesText } from "../../src/catalog/metrics.js";
import { dnsMetricFamilies } from "../../src/cli/dns-metrics.js";
import { DnsStats } from "../../src/dns/stats.js";

describe("dnsMetricFamilies", () => {
  const stats = new DnsStats();
  stats.record(33, 0, false, 40); // SRV NOERROR, 40 us
  stats.record(33, 0, true, 10); // SRV NOERROR, cached, 10 us
  stats.record(1, 3, false, 2_000_000); // A NXDOMAIN, 2 s: beyond the last bucket
  stats.tcpAccepted = 2;
  stats.tcpOpen = 1;
  const text = familiesText(dnsMetricFamilies(stats.snapshot(5, 7)));

  const cases: [string, string][] = [
    ["queries by type and rcode", 'portolan_dns_queries_total{type="A",rcode="NXDOMAIN"} 1\nportolan_dns_queries_total{type="SRV",rcode="NOERROR"} 2\n'],
    ["cache", "portolan_dns_cache_hits_total 1\n"],
    ["cache misses", "portolan_dns_cache_misses_total 2\n"],
    ["cache entries", "# TYPE portolan_dns_cache_entries gauge\nportolan_dns_cache_entries 5\n"],
    ["tcp", "portolan_dns_tcp_connections_total 2\n"],
    ["tcp open", "# TYPE portolan_dns_tcp_connections_open gauge\nportolan_dns_tcp_connections_open 1\n"],
    ["histogram type", "# TYPE portolan_dns_query_duration_seconds histogram\n"],
    ["first bucket, seconds", 'portolan_dns_query_duration_seconds_bucket{le="0.000025"} 1\n'],
    ["cumulative", 'portolan_dns_query_duration_seconds_bucket{le="0.00005"} 2\n'],
    ["last finite bucket", 'portolan_dns_query_duration_seconds_bucket{le="1"} 2\n'],
    ["+Inf, sum, count", 'portolan_dns_query_duration_seconds_bucket{le="+Inf"} 3\nportolan_dns_query_duration_seconds_sum 2.00005\nportolan_dns_query_duration_seconds_count 3\n'],
  ];
  it.each(cases.map(([c, want], i) => [`${i}_${c}`, want]))("%s", (_name, want) => {
    expect(text).toContain(want);
  });

  it(`${cases.length}_one bucket line per bound and +Inf, in order`, () => {
    const les = [...text.matchAll(/_bucket\{le="([^"]+)"\}/g)].map((m) => m[1]);
    expect(les).toEqual(["0.000025", "0.00005", "0.0001", "0.00025", "0.0005", "0.001", "0.0025", "0.005", "0.01", "0.05", "0.25", "1", "+Inf"]);
  });
});
