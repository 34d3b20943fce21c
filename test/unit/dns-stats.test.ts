// Server stats: recording, cumulative latency buckets, and the sum over workers.
import { describe, expect, it } from "vitest";
import { DnsStats, LATENCY_BUCKETS_US, mergeStats } from "../../src/dns/stats.js";

describe("DnsStats", () => {
  it("0_counts by type and rcode, cache hits, cumulative latency buckets", () => {
    const s = new DnsStats();
    s.record(1, 0, true, 10);
    s.record(33, 3, false, 700);
    s.record(999, 0, true, 5_000_000);
    const snap = s.snapshot(4, 9);
    expect(snap).toMatchObject({ queries: 3, byType: { A: 1, SRV: 1, TYPE999: 1 }, byRcode: { NOERROR: 2, NXDOMAIN: 1 }, cache: { hits: 2, misses: 1, entries: 4 }, catalogVersion: 9 });
    expect(snap.byTypeRcode).toEqual([{ type: "A", rcode: "NOERROR", count: 1 }, { type: "SRV", rcode: "NXDOMAIN", count: 1 }, { type: "TYPE999", rcode: "NOERROR", count: 1 }]);
    expect(snap.latency.counts).toHaveLength(LATENCY_BUCKETS_US.length + 1);
    expect(snap.latency.counts[0]).toBe(1);
    expect(snap.latency.counts[LATENCY_BUCKETS_US.indexOf(1000)]).toBe(2);
    expect(snap.latency.counts.at(-2)).toBe(2);
    expect(snap.latency.counts.at(-1)).toBe(3);
  });

  it("1_mergeStats sums workers", () => {
    const a = new DnsStats();
    const b = new DnsStats();
    a.record(1, 0, true, 10);
    b.record(1, 3, false, 20);
    b.record(1, 0, true, 30);
    b.tcpAccepted = 2;
    const m = mergeStats([a.snapshot(1, 5), b.snapshot(2, 4)]);
    expect(m).toMatchObject({ queries: 3, byType: { A: 3 }, byRcode: { NOERROR: 2, NXDOMAIN: 1 }, cache: { hits: 2, misses: 1, entries: 3 }, tcp: { accepted: 2 }, catalogVersion: 4 });
    expect(m.byTypeRcode).toEqual([{ type: "A", rcode: "NOERROR", count: 2 }, { type: "A", rcode: "NXDOMAIN", count: 1 }]);
    expect(m.latency.count).toBe(3);
    expect(m.latency.counts.at(-1)).toBe(3);
  });
});
