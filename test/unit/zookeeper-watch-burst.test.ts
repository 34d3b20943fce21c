// The ZooKeeper tree watch during a burst that outpaces its reads (a cold start of thousands of entries): readers
// get a snapshot of what was read so far at least every MAX_STALE_MS, not only once the burst is over. A fake
// server answers every request 15 ms late while another client adds a node every 5 ms.
import { describe, expect, it } from "vitest";
import { ZooKeeperRegistry } from "../../adapters/zookeeper/registry.js";
import { MAX_STALE_MS } from "../../adapters/zookeeper/watch.js";
import { FakeZooKeeper } from "../support/zk-fake.js";
import { until } from "../support/until.js";

const node = (id: string, port: number) => JSON.stringify({ name: "web", id, address: "10.0.0.1", port, sslPort: null, payload: null, registrationTimeUTC: 1, serviceType: "DYNAMIC", uriSpec: null });

describe("ZooKeeper tree watch under a burst", () => {
  it("0_snapshots keep coming while the burst lasts, each at most about MAX_STALE_MS after the last", async () => {
    const zk = new FakeZooKeeper();
    zk.put("/services/web/other:w0:80", node("other:w0:80", 1000));
    const reg = new ZooKeeperRegistry({ connect: "127.0.0.1:2181", format: "curator", newClient: zk.newClient, probe: () => Promise.resolve(true) });
    const ac = new AbortController();
    const seen: { at: number; n: number }[] = [];
    const reading = (async () => {
      for await (const s of reg.watch(ac.signal)) seen.push({ at: Date.now(), n: s.instances.length });
    })();
    try {
      await until("the first snapshot", () => seen.length === 1, 5_000, 5);
      zk.answerDelayMs = 15;
      const start = Date.now();
      let k = 1;
      const burstMs = 4 * MAX_STALE_MS;
      while (Date.now() - start < burstMs) {
        zk.put(`/services/web/other:w${k}:80`, node(`other:w${k}:80`, 1000 + k));
        k++;
        await new Promise((r) => setTimeout(r, 5));
      }
      const during = seen.filter((s) => s.at > start && s.at <= start + burstMs);
      // Without the bound the first snapshot after the first came only once the burst was over.
      expect(during.length).toBeGreaterThanOrEqual(3);
      const gaps = [start, ...during.map((s) => s.at)].slice(1).map((t, i, a) => t - (i === 0 ? start : a[i - 1]!));
      expect(Math.max(...gaps)).toBeLessThan(MAX_STALE_MS * 1.5 + 200);
      expect(during.map((s) => s.n)).toEqual([...during.map((s) => s.n)].sort((a, b) => a - b));
      await until("every node, once the burst is over", () => seen.at(-1)?.n === k, 10_000, 10);
    } finally {
      ac.abort();
      await reg.close();
      await reading;
    }
  });
});
