// listOwned on ZooKeeper (the registrator's resync), on a fake server that counts requests: once a full read found
// exactly what this process registered, an idle resync sends nothing; a node of ours deleted or changed by another
// client, a new session, or the backstop interval makes the next one read the tree again.
import { describe, expect, it } from "vitest";
import { FULL_SCAN_EVERY_MS } from "../../adapters/zookeeper/held.js";
import { META_EPHEMERAL_OWNER } from "../../adapters/zookeeper/owned.js";
import { ZooKeeperRegistry } from "../../adapters/zookeeper/registry.js";
import type { Instance } from "../../src/core/model.js";
import { FakeClock, settle } from "../support/fake-clock.js";
import { FakeZooKeeper } from "../support/zk-fake.js";

const OWNER = "host1";
const inst = (k: number): Instance => ({ id: `${OWNER}:c${k}:80`, name: `svc${k % 3}`, address: "10.0.0.1", port: 1000 + k, protocol: "tcp", tags: [], meta: {}, checks: [], health: "passing", owner: OWNER });
const path = (i: Instance) => `/services/${i.name}/${i.id}`;
const ids = (list: Instance[]) => list.map((i) => i.id).sort();
const byId = (list: Instance[]) => [...list].sort((a, b) => (a.id < b.id ? -1 : 1));

async function setup() {
  const zk = new FakeZooKeeper();
  const clock = new FakeClock();
  // Other owners' services: a full read lists each of their directories.
  for (let s = 0; s < 10; s++) zk.put(`/services/other${s}/host2:x${s}:80`, "{}");
  const reg = new ZooKeeperRegistry({ connect: "127.0.0.1:2181", format: "curator", newClient: zk.newClient, probe: () => Promise.resolve(true), clock });
  const mine = [0, 1, 2, 3, 4, 5].map(inst);
  for (const i of mine) await reg.register(i);
  await settle();
  zk.resetCounts();
  return { zk, clock, reg, mine };
}

async function withRegistry(fn: (s: Awaited<ReturnType<typeof setup>>) => Promise<void>): Promise<void> {
  const s = await setup();
  try {
    await fn(s);
  } finally {
    await s.reg.close();
  }
}

/** listOwned, with the requests it sent (the watches it set on our nodes are answered first). */
async function listed(zk: FakeZooKeeper, reg: ZooKeeperRegistry) {
  zk.resetCounts();
  const list = await reg.listOwned(OWNER);
  await settle();
  return { list, sent: Object.fromEntries(zk.counts), lists: zk.counts.get("getChildren") ?? 0 };
}

describe("ZooKeeper listOwned: what a resync costs", () => {
  it("0_the first resync reads the tree; idle resyncs then send no request and answer the same", () =>
    withRegistry(async ({ zk, reg, mine }) => {
      const first = await listed(zk, reg);
      expect(first.lists).toBe(1 + 3 + 10); // the base, then every service directory
      expect(first.list).toEqual(expect.arrayContaining(mine));
      expect(first.list).toHaveLength(mine.length);
      for (let k = 0; k < 5; k++) {
        const again = await listed(zk, reg);
        expect(again.sent).toEqual({});
        expect(byId(again.list)).toEqual(byId(first.list));
      }
    }));

  it("1_a node of ours deleted by another client: the next resync reads the tree and misses it; registered again, it is watched again", () =>
    withRegistry(async ({ zk, reg, mine }) => {
      await listed(zk, reg);
      zk.drop(path(mine[2]!));
      await settle();
      const after = await listed(zk, reg);
      expect(after.lists).toBeGreaterThan(0);
      expect(ids(after.list)).toEqual(ids(mine.filter((i) => i !== mine[2])));
      // What the registrator does with a missing entry: register it again (a new node, with a new watch).
      await reg.register(mine[2]!);
      expect(zk.nodes.get(path(mine[2]!))?.owner).toBe(1);
      expect(ids((await listed(zk, reg)).list)).toEqual(ids(mine));
      expect((await listed(zk, reg)).sent).toEqual({});
      zk.drop(path(mine[2]!));
      await settle();
      expect((await listed(zk, reg)).lists).toBeGreaterThan(0);
    }));

  it("2_a node of ours changed by another client: the next resync reads it and reports it marked", () =>
    withRegistry(async ({ zk, reg, mine }) => {
      await listed(zk, reg);
      const changed = JSON.stringify({ name: mine[1]!.name, id: mine[1]!.id, address: "10.9.9.9", port: 1, sslPort: null, payload: null, registrationTimeUTC: 1, serviceType: "DYNAMIC", uriSpec: null });
      zk.change(path(mine[1]!), changed);
      await settle();
      const after = await listed(zk, reg);
      expect(after.lists).toBeGreaterThan(0);
      const entry = after.list.find((i) => i.id === mine[1]!.id);
      expect(entry?.address).toBe("10.9.9.9");
      expect(entry?.meta[META_EPHEMERAL_OWNER]).toBe("0x0000000000000001");
    }));

  it("3_our own deregistrations and rewrites keep idle resyncs free", () =>
    withRegistry(async ({ zk, reg, mine }) => {
      await listed(zk, reg);
      await reg.deregister(mine[0]!);
      await reg.register({ ...mine[1]!, port: 2001 });
      await reg.setHealth(mine[3]!, "critical", "");
      await settle();
      const after = await listed(zk, reg);
      expect(after.sent).toEqual({});
      expect(after.list.find((i) => i.id === mine[1]!.id)?.port).toBe(2001);
      expect(after.list.find((i) => i.id === mine[3]!.id)?.health).toBe("critical");
      expect(ids(after.list)).toEqual(ids(mine.slice(1)));
      expect(zk.nodes.has(path(mine[0]!))).toBe(false);
      expect(zk.nodes.has(path(mine[3]!))).toBe(false);
    }));

  it("4_a new session: the next resync reads the tree", () =>
    withRegistry(async ({ zk, reg, mine }) => {
      await listed(zk, reg);
      zk.expire(1);
      await settle(50);
      expect(zk.nodes.get(path(mine[0]!))?.owner).toBe(2);
      const after = await listed(zk, reg);
      expect(after.lists).toBe(1 + 3 + 10);
      expect(ids(after.list)).toEqual(ids(mine));
      expect((await listed(zk, reg)).sent).toEqual({});
    }));

  it(`5_backstop: a full read at least every ${FULL_SCAN_EVERY_MS / 60_000} minutes`, () =>
    withRegistry(async ({ zk, clock, reg }) => {
      await listed(zk, reg);
      await clock.advance(FULL_SCAN_EVERY_MS - 1);
      expect((await listed(zk, reg)).sent).toEqual({});
      // A node of this owner another writer made is seen only by a full read.
      zk.put(`/services/svc0/${OWNER}:stray:80`, JSON.stringify({ name: "svc0", id: `${OWNER}:stray:80`, address: "10.0.0.2", port: 9, sslPort: null, payload: null, registrationTimeUTC: 1, serviceType: "DYNAMIC", uriSpec: null }), 7);
      await clock.advance(1);
      const after = await listed(zk, reg);
      expect(after.lists).toBe(1 + 3 + 10);
      expect(after.list.map((i) => i.id)).toContain(`${OWNER}:stray:80`);
    }));
});

describe("ZooKeeper listOwned by a process that holds no node of the owner", () => {
  it("0_reads the tree every time, and so sees what another process of that owner registers", async () => {
    const zk = new FakeZooKeeper();
    const clock = new FakeClock();
    const reader = new ZooKeeperRegistry({ connect: "127.0.0.1:2181", format: "curator", newClient: zk.newClient, probe: () => Promise.resolve(true), clock });
    const writer = new ZooKeeperRegistry({ connect: "127.0.0.1:2181", format: "curator", newClient: zk.newClient, probe: () => Promise.resolve(true), clock });
    try {
      expect(await reader.listOwned(OWNER)).toEqual([]);
      await writer.register(inst(7));
      await settle();
      expect(ids(await reader.listOwned(OWNER))).toEqual([inst(7).id]);
    } finally {
      await reader.close();
      await writer.close();
    }
  });
});
