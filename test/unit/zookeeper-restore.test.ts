// ZooKeeperRegistry after a session expiry, on a fake client: every owned passing entry is created again under the
// new session, with a bounded number of creates in flight (one at a time made recovery of a host's hundred entries
// take most of the fleet bench's 39 s), and entries held back (not passing) stay absent.
import { describe, expect, it } from "vitest";
import { ZooKeeperRegistry } from "../../adapters/zookeeper/registry.js";
import { RESTORE_CONCURRENCY } from "../../adapters/zookeeper/registry.js";
import type { Instance } from "../../src/core/model.js";
import { capturingLogger } from "../support/capturing-logger.js";
import { until } from "../support/until.js";
import { FakeZooKeeper } from "../support/zk-fake.js";

const ENTRIES = 100;

function instance(k: number, health: Instance["health"] = "passing"): Instance {
  return { id: `host1:c${k}:80`, name: `svc${k % 7}`, address: "10.0.0.1", port: 1000 + k, protocol: "tcp", tags: [], meta: {}, checks: [], health, owner: "host1" };
}

describe("ZooKeeperRegistry restore after session expiry", () => {
  it(`0_re-creates every passing entry, at most ${RESTORE_CONCURRENCY} at a time, and not the held-back ones`, async () => {
    const server = new FakeZooKeeper();
    // Answers after a few turns of the event loop, so that concurrent creates overlap.
    server.answerTurns = 3;
    const { logger, lines } = capturingLogger();
    const reg = new ZooKeeperRegistry({
      connect: "127.0.0.1:2181",
      format: "curator",
      chroot: "/services",
      logger,
      probe: () => Promise.resolve(true),
      newClient: server.newClient,
    });
    try {
      const held = [instance(ENTRIES, "critical"), instance(ENTRIES + 1, "critical")];
      for (let k = 0; k < ENTRIES; k++) await reg.register(instance(k));
      for (const i of held) await reg.register(i);
      const path = (i: Instance) => `/services/${i.name}/${i.id}`;
      expect([...server.nodes.values()].filter((n) => n.owner === 1)).toHaveLength(ENTRIES);
      server.resetCounts();

      server.expire(1);
      await until("every entry re-created", () => lines.some((l) => l.msg === "zookeeper entries re-created under the new session"), 10_000, 5);

      expect(server.clients).toHaveLength(2);
      for (let k = 0; k < ENTRIES; k++) expect(server.nodes.get(path(instance(k)))?.owner).toBe(2);
      for (const i of held) expect(server.nodes.has(path(i))).toBe(false);
      expect(server.counts.get("create")).toBe(ENTRIES);
      expect(server.maxInFlight.get("create")).toBeLessThanOrEqual(RESTORE_CONCURRENCY);
      expect(server.maxInFlight.get("create")).toBe(RESTORE_CONCURRENCY); // bounded, and not one at a time
    } finally {
      await reg.close();
    }
  });
});
