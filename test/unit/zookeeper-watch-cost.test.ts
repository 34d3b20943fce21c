// The ZooKeeper tree watch, on a fake server that counts requests: a change costs each watching process what changed
// (an added instance: its directory's listing and the new node's data; a removed one: the listing only, the deleted
// node's own watch firing is not answered with a read of a node that is gone; a data change: one read).
import { describe, expect, it } from "vitest";
import { ZooKeeperRegistry } from "../../adapters/zookeeper/registry.js";
import type { CatalogSnapshot } from "../../src/core/model.js";
import { FakeZooKeeper } from "../support/zk-fake.js";
import { until } from "../support/until.js";

const node = (id: string, port: number) => JSON.stringify({ name: "web", id, address: "10.0.0.1", port, sslPort: null, payload: null, registrationTimeUTC: 1, serviceType: "DYNAMIC", uriSpec: null });

describe("ZooKeeper tree watch: reads per change", () => {
  it("0_add costs a listing and a read, remove a listing, a data change a read", async () => {
    const zk = new FakeZooKeeper();
    for (let k = 0; k < 3; k++) zk.put(`/services/web/other:w${k}:80`, node(`other:w${k}:80`, 1000 + k));
    zk.put(`/services/db/other:d:5432`, node("other:d:5432", 5432).replace('"web"', '"db"'));
    const reg = new ZooKeeperRegistry({ connect: "127.0.0.1:2181", format: "curator", newClient: zk.newClient, probe: () => Promise.resolve(true) });
    const ac = new AbortController();
    let last: CatalogSnapshot | undefined;
    let snapshots = 0;
    const reading = (async () => {
      for await (const s of reg.watch(ac.signal)) {
        last = s;
        snapshots++;
      }
    })();
    const size = () => last?.instances.length;
    try {
      await until("the first snapshot", () => size() === 4, 5_000, 5);
      const step = async (what: string, edit: () => void, count: number) => {
        zk.resetCounts();
        const before = snapshots;
        edit();
        await until(what, () => snapshots > before && size() === count, 5_000, 5);
        // Late reads (a watch fired after the snapshot) would show here.
        await new Promise((r) => setTimeout(r, 60));
        return Object.fromEntries(zk.counts);
      };
      expect(await step("an added instance", () => zk.put("/services/web/other:w9:80", node("other:w9:80", 1009)), 5)).toEqual({ getChildren: 1, getData: 1 });
      expect(await step("a removed instance", () => zk.drop("/services/web/other:w0:80"), 4)).toEqual({ getChildren: 1 });
      expect(await step("a changed instance", () => zk.change("/services/web/other:w1:80", node("other:w1:80", 2001)), 4)).toEqual({ getData: 1 });
      expect(last?.instances.find((i) => i.id === "other:w1:80")?.port).toBe(2001);
      const again = () => {
        zk.drop("/services/web/other:w2:80");
        zk.put("/services/web/other:w2:80", node("other:w2:80", 3002));
      };
      expect(await step("an instance deleted and created again", again, 4)).toEqual({ getChildren: 1, getData: 1 });
      await until("the new node's data", () => last?.instances.find((i) => i.id === "other:w2:80")?.port === 3002, 5_000, 5);
      expect(last?.instances.map((i) => i.id).sort()).toEqual(["other:d:5432", "other:w1:80", "other:w2:80", "other:w9:80"]);
      // Its new node is watched: a change to it is seen.
      expect(await step("a change to the node created again", () => zk.change("/services/web/other:w2:80", node("other:w2:80", 4002)), 4)).toEqual({ getData: 1 });
      expect(last?.instances.find((i) => i.id === "other:w2:80")?.port).toBe(4002);
    } finally {
      ac.abort();
      await reg.close();
      await reading;
    }
  });
});
