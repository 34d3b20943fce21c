// The etcd watch loop against a scripted client: one range, then changes from the stream at no read each; a
// dropped stream reopened from the revision after the last seen; a compaction answered by one range again.
import { describe, expect, it } from "vitest";
import { silentLogger } from "../../src/core/log.js";
import type { CatalogSnapshot, Instance } from "../../src/core/model.js";
import type { EtcdClient, KeyValue, WatchMessage } from "../../adapters/etcd/client.js";
import { baseOf, encodeValue, keyOf } from "../../adapters/etcd/layout.js";
import { watchCatalog, type WatchStats } from "../../adapters/etcd/watch.js";
import { FakeClock, settle } from "../support/fake-clock.js";

const L = { prefix: "/skydns", zone: "service.consul" };
const inst = (n: number, port = 1000 + n): Instance => ({ id: `h:c${n}:80`, name: "web", address: "10.0.0.1", port, protocol: "tcp", tags: [], meta: {}, checks: [], health: "passing", owner: "h" });
const b64 = (s: string) => Buffer.from(s).toString("base64");
const put = (i: Instance, rev: number) => ({ type: "PUT" as const, kv: { key: b64(keyOf(L, i)), value: b64(encodeValue(i, 10)), mod_revision: String(rev) } });
const del = (i: Instance, rev: number) => ({ type: "DELETE" as const, kv: { key: b64(keyOf(L, i)), mod_revision: String(rev) } });

/** A client whose range answers `store` and whose streams the test drives. */
class ScriptedClient {
  store: KeyValue[] = [];
  revision = 0;
  opened: number[] = [];
  private current: { emit: (m: WatchMessage) => void; end: () => void } | undefined;
  async rangePrefix() {
    return { kvs: this.store, revision: this.revision };
  }
  async watch(_prefix: string, start: number, signal: AbortSignal, onMessage: (m: WatchMessage) => void) {
    this.opened.push(start);
    let end!: () => void;
    const done = new Promise<void>((resolve, reject) => {
      end = resolve;
      signal.addEventListener("abort", () => reject(new Error("aborted")), { once: true });
    });
    this.current = { emit: onMessage, end };
    return { done };
  }
  translate(_op: string, err: unknown) {
    return err as Error;
  }
  emit(m: WatchMessage) {
    this.current!.emit(m);
  }
  end() {
    this.current!.end();
  }
}

async function start(client: ScriptedClient) {
  const clock = new FakeClock();
  const stats: WatchStats = { ranges: 0, streams: 0 };
  const stop = new AbortController();
  const seen: CatalogSnapshot[] = [];
  void (async () => {
    for await (const s of watchCatalog(client as unknown as EtcdClient, { layout: L, base: baseOf(L), logger: silentLogger(), clock }, stop.signal, stats)) seen.push(s);
  })();
  await settle();
  return { clock, stats, stop, seen, ports: () => seen.at(-1)?.instances.map((i) => i.port) };
}

describe("etcd watchCatalog", () => {
  it("0_one range, then every change from the stream without a read", async () => {
    const c = new ScriptedClient();
    c.store = [{ key: keyOf(L, inst(1)), value: encodeValue(inst(1), 10), modRevision: 5, lease: "0" }];
    c.revision = 7;
    const w = await start(c);
    expect(w.ports()).toEqual([1001]);
    expect(c.opened).toEqual([8]);
    c.emit({ result: { events: [put(inst(2), 8)] } });
    await settle(); // a reader slower than the changes skips to the newest (SnapshotFeed)
    c.emit({ result: { events: [put(inst(1, 2001), 9), del(inst(2), 9)] } });
    await settle();
    expect(w.seen.map((s) => s.instances.map((i) => i.port))).toEqual([[1001], [1001, 1002], [2001]]);
    expect(w.stats).toEqual({ ranges: 1, streams: 1 });
    w.stop.abort();
  });

  it("1_a value that is not portolan's is ignored; its delete changes nothing", async () => {
    const c = new ScriptedClient();
    const w = await start(c);
    c.emit({ result: { events: [{ type: "PUT", kv: { key: b64("/skydns/consul/service/x/y"), value: b64('{"host":"1.2.3.4"}'), mod_revision: "3" } }] } });
    await settle();
    expect(w.seen.map((s) => s.instances)).toEqual([[]]);
    w.stop.abort();
  });

  it("2_a stream that ends is reopened from the revision after the last event, with no range", async () => {
    const c = new ScriptedClient();
    c.revision = 10;
    const w = await start(c);
    c.emit({ result: { events: [put(inst(1), 12)] } });
    c.end();
    await w.clock.advance(1_000);
    expect(c.opened).toEqual([11, 13]);
    expect(w.stats.ranges).toBe(1);
    w.stop.abort();
  });

  it("3_a compaction past the revision: one range again, then a stream from its revision", async () => {
    const c = new ScriptedClient();
    c.revision = 10;
    const w = await start(c);
    c.store = [{ key: keyOf(L, inst(3)), value: encodeValue(inst(3), 10), modRevision: 40, lease: "0" }];
    c.revision = 50;
    c.emit({ result: { canceled: true, compact_revision: "30" } });
    await settle();
    expect(w.stats.ranges).toBe(2);
    expect(c.opened).toEqual([11, 51]);
    expect(w.ports()).toEqual([1003]);
    w.stop.abort();
  });
});
