import { describe, expect, it } from "vitest";
import type { CatalogSnapshot, Instance } from "../../src/core/model.js";
import { SnapshotFeed } from "../../src/core/snapshot-feed.js";

const inst = (id: string, health: Instance["health"] = "passing"): Instance => ({
  id,
  name: "web",
  address: "127.0.0.1",
  port: 80,
  protocol: "tcp",
  tags: [],
  meta: {},
  checks: [],
  health,
  owner: "h",
});

const ids = (s: CatalogSnapshot) => s.instances.map((i) => `${i.id}:${i.health}`);

describe("SnapshotFeed", () => {
  it("0_a_reader_waits_for_the_first_snapshot_then_gets_each_version", async () => {
    const feed = new SnapshotFeed();
    const it = feed.watch()[Symbol.asyncIterator]();
    const first = it.next();
    let settled = false;
    void first.then(() => (settled = true));
    await Promise.resolve();
    expect(settled).toBe(false);
    feed.publish([inst("a")]);
    expect((await first).value).toEqual({ version: 1, instances: [inst("a")] });
    const second = it.next();
    feed.publish([inst("a"), inst("b")]);
    expect((await second).value.version).toBe(2);
  });

  it("1_publish_reports_whether_anything_visible_changed", () => {
    const cases: Array<{ name: string; next: Instance[]; changed: boolean }> = [
      { name: "same_catalog_new_array", next: [inst("a")], changed: false },
      { name: "health_changed", next: [inst("a", "critical")], changed: true },
      { name: "instance_added", next: [inst("a"), inst("b")], changed: true },
      { name: "emptied", next: [], changed: true },
    ];
    for (const [i, c] of cases.entries()) {
      const feed = new SnapshotFeed();
      feed.publish([inst("a")]);
      expect(feed.publish(c.next), `${i}_${c.name}`).toBe(c.changed);
      expect(feed.current?.version, `${i}_${c.name}`).toBe(c.changed ? 2 : 1);
    }
  });

  it("2_a_slow_reader_skips_to_the_newest_and_every_reader_sees_it", async () => {
    const feed = new SnapshotFeed();
    feed.publish([inst("a")]);
    const fast = feed.watch()[Symbol.asyncIterator]();
    const slow = feed.watch()[Symbol.asyncIterator]();
    expect((await fast.next()).value.version).toBe(1);
    expect((await slow.next()).value.version).toBe(1);
    const fastNext = fast.next();
    feed.publish([inst("b")]);
    expect(ids((await fastNext).value)).toEqual(["b:passing"]);
    feed.publish([inst("c")]);
    feed.publish([inst("d")]);
    const s = (await slow.next()).value;
    expect([s.version, ...ids(s)]).toEqual([4, "d:passing"]);
    expect((await fast.next()).value.version).toBe(4);
  });

  it("3_end_finishes_every_reader_and_later_publishes_are_refused", async () => {
    const feed = new SnapshotFeed();
    feed.publish([]);
    const readers = [feed.watch(), feed.watch()].map((w) => w[Symbol.asyncIterator]());
    for (const r of readers) await r.next();
    const pending = readers.map((r) => r.next());
    feed.end();
    for (const p of pending) expect((await p).done).toBe(true);
    expect(feed.publish([inst("x")])).toBe(false);
    expect((await feed.watch()[Symbol.asyncIterator]().next()).done).toBe(true);
  });

  it("4_abort_ends_only_that_reader", async () => {
    const feed = new SnapshotFeed();
    feed.publish([]);
    const ctl = new AbortController();
    const aborted = feed.watch(ctl.signal)[Symbol.asyncIterator]();
    const other = feed.watch()[Symbol.asyncIterator]();
    await aborted.next();
    await other.next();
    const a = aborted.next();
    const o = other.next();
    ctl.abort();
    expect((await a).done).toBe(true);
    feed.publish([inst("a")]);
    expect((await o).value.version).toBe(2);
  });
});
