// The watch loop against a fake blocking-query source (the real agent is in test/integration/consul.test.ts).
import { getEventListeners } from "node:events";
import { describe, expect, it } from "vitest";
import { silentLogger } from "../../src/core/log.js";
import type { CatalogSnapshot } from "../../src/core/model.js";
import { watchCatalog, type WatchSource } from "../../adapters/consul/watch.js";
import type { Blocking } from "../../adapters/consul/client.js";
import type { ConsulCheckState, ConsulHealthEntry } from "../../adapters/consul/types.js";

/**
 * An in-memory catalog that answers blocking queries like Consul: block while the index is <= the asked one.
 * As in Consul, catalog/services only moves on (de)registration and health/state only on check changes.
 */
class FakeConsul implements WatchSource {
  index = 10;
  servicesIndex = 10;
  checksIndex = 10;
  entries = new Map<string, ConsulHealthEntry[]>();
  reads = new Map<string, number>();
  failNext = 0;
  private waiters: (() => void)[] = [];

  flip(name: string, id: string): void {
    const e = this.entries.get(name)?.find((x) => x.Service.ID === id);
    this.setStatus(name, id, e?.Checks[0]?.Status === "passing" ? "critical" : "passing");
  }

  setStatus(name: string, id: string, status: string): void {
    const e = this.entries.get(name)?.find((x) => x.Service.ID === id);
    if (!e?.Checks[0]) throw new Error("no such entry");
    this.index++;
    e.Checks[0] = { ...e.Checks[0], Status: status, ModifyIndex: this.index };
    this.checksIndex = this.index;
    this.wakeAll();
  }

  set(name: string, id: string, port: number, status = "passing"): void {
    const list = (this.entries.get(name) ?? []).filter((e) => e.Service.ID !== id);
    list.push({
      Node: { Node: "n1", Address: "10.0.0.1" },
      Service: { ID: id, Service: name, Tags: [], Meta: {}, Address: "", Port: port },
      Checks: [{ CheckID: `c:${id}`, Status: status, ServiceID: id, ServiceName: name, Node: "n1", ModifyIndex: this.index + 1 }],
    });
    this.entries.set(name, list);
    this.bump();
  }

  /** A registration change: both the services and the checks tables move. */
  bump(): void {
    this.index++;
    this.servicesIndex = this.index;
    this.checksIndex = this.index;
    this.wakeAll();
  }

  private wakeAll(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  private async block(index: number, current: () => number, signal: AbortSignal): Promise<void> {
    if (this.failNext > 0) {
      this.failNext--;
      throw new Error("ECONNREFUSED");
    }
    while (index > 0 && current() <= index && !signal.aborted) {
      await new Promise<void>((r) => {
        const done = () => {
          signal.removeEventListener("abort", done);
          r();
        };
        this.waiters.push(done);
        signal.addEventListener("abort", done, { once: true });
      });
    }
  }

  async catalogServices(index: number, _w: number, signal: AbortSignal): Promise<Blocking<Record<string, string[]>>> {
    await this.block(index, () => this.servicesIndex, signal);
    return { index: this.servicesIndex, body: Object.fromEntries([...this.entries.keys()].map((k) => [k, []])) };
  }

  async healthState(index: number, _w: number, signal: AbortSignal): Promise<Blocking<ConsulCheckState[]>> {
    await this.block(index, () => this.checksIndex, signal);
    return { index: this.checksIndex, body: [...this.entries.values()].flat().flatMap((e) => e.Checks) };
  }

  async healthService(name: string, _signal?: AbortSignal): Promise<Blocking<ConsulHealthEntry[]>> {
    this.reads.set(name, (this.reads.get(name) ?? 0) + 1);
    return { index: this.index, body: this.entries.get(name) ?? [] };
  }
}

const opts = { waitMs: 1000, logger: silentLogger(), backoff: { initialMs: 1, maxMs: 5, jitter: 0 } };

function summary(s: CatalogSnapshot): string[] {
  return s.instances.map((i) => `${i.name}/${i.id}:${i.port}:${i.health}:${i.owner}`);
}

describe("watchCatalog", () => {
  it("0_first_state_then_changes", async () => {
    const fake = new FakeConsul();
    fake.set("web", "w1", 80);
    fake.set("db", "d1", 5432);
    const ctl = new AbortController();
    const it = watchCatalog(fake, opts, ctl.signal)[Symbol.asyncIterator]();
    const first = (await it.next()).value as CatalogSnapshot;
    expect(first.version).toBe(1);
    expect(summary(first)).toEqual(["db/d1:5432:passing:n1", "web/w1:80:passing:n1"]);
    fake.reads.clear();

    fake.setStatus("web", "w1", "critical"); // a check change: only web is re-read
    const second = (await it.next()).value as CatalogSnapshot;
    expect(second.version).toBe(2);
    expect(summary(second)).toEqual(["db/d1:5432:passing:n1", "web/w1:80:critical:n1"]);
    expect(fake.reads.get("db")).toBeUndefined();

    fake.entries.delete("db");
    fake.bump();
    const third = (await it.next()).value as CatalogSnapshot;
    expect(third.version).toBe(3);
    expect(summary(third)).toEqual(["web/w1:80:critical:n1"]);
    ctl.abort();
    expect((await it.next()).done).toBe(true);
  });

  it("1_survives_errors_and_ends_on_abort", async () => {
    const fake = new FakeConsul();
    fake.failNext = 3;
    fake.set("web", "w1", 80);
    const ctl = new AbortController();
    const seen: CatalogSnapshot[] = [];
    const done = (async () => {
      for await (const s of watchCatalog(fake, opts, ctl.signal)) {
        seen.push(s);
        if (seen.length === 1) {
          fake.failNext = 2;
          fake.set("web", "w2", 81);
        }
      }
    })();
    while (seen.length < 2) await new Promise((r) => setTimeout(r, 5));
    ctl.abort();
    await done;
    expect(seen.map((s) => s.version)).toEqual([1, 2]);
    expect(summary(seen[1]!)).toEqual(["web/w1:80:passing:n1", "web/w2:81:passing:n1"]);
  });

  it("2_no_snapshot_when_nothing_visible_changed", async () => {
    const fake = new FakeConsul();
    fake.set("web", "w1", 80);
    const ctl = new AbortController();
    const it = watchCatalog(fake, opts, ctl.signal)[Symbol.asyncIterator]();
    await it.next();
    fake.bump(); // index moves, content identical
    fake.set("web", "w1", 8080);
    const next = (await it.next()).value as CatalogSnapshot;
    expect(next.version).toBe(2);
    expect(summary(next)).toEqual(["web/w1:8080:passing:n1"]);
    ctl.abort();
  });
});

/** Holds an abort listener on each request's signal while the request runs, as node:http does. */
class ListeningConsul extends FakeConsul {
  /** Most abort listeners seen on one signal handed to a request. */
  most = 0;

  private hold<T>(signal: AbortSignal, run: () => Promise<T>): Promise<T> {
    const onAbort = () => {};
    signal.addEventListener("abort", onAbort);
    this.most = Math.max(this.most, getEventListeners(signal, "abort").length);
    return run().finally(() => signal.removeEventListener("abort", onAbort));
  }

  override catalogServices(index: number, w: number, signal: AbortSignal) {
    return this.hold(signal, () => super.catalogServices(index, w, signal));
  }

  override healthState(index: number, w: number, signal: AbortSignal) {
    return this.hold(signal, () => super.healthState(index, w, signal));
  }

  override healthService(name: string, signal: AbortSignal) {
    return this.hold(signal, () => super.healthService(name));
  }
}

describe("watchCatalog abort listeners", () => {
  it("0_bounded_over_a_long_watch_of_many_services", async () => {
    const warnings: string[] = [];
    const onWarning = (w: Error) => void warnings.push(w.name);
    process.on("warning", onWarning);
    const fake = new ListeningConsul();
    for (let n = 0; n < 30; n++) fake.set(`s${n}`, `i${n}`, 1000 + n);
    const ctl = new AbortController();
    let outer = 0;
    let version = 0;
    try {
      for await (const s of watchCatalog(fake, opts, ctl.signal)) {
        outer = Math.max(outer, getEventListeners(ctl.signal, "abort").length);
        version = s.version;
        if (version >= 60) break;
        // Alternate: a new instance (both polls move), a health change (one poll), a new service (all names).
        if (version % 3 === 0) fake.set(`s${version % 30}`, `x${version}`, 2000 + version);
        else if (version % 3 === 1) fake.flip(`s${(version * 7) % 30}`, `i${(version * 7) % 30}`);
        else fake.set(`n${version}`, `n${version}`, 3000 + version);
      }
    } finally {
      process.off("warning", onWarning);
    }
    await new Promise((r) => setImmediate(r));
    expect(version).toBe(60);
    // Each request's signal carries its own listener (plus the fake's wait): never one per request in flight.
    expect(fake.most).toBeLessThanOrEqual(2);
    expect(outer).toBeLessThanOrEqual(1);
    expect(getEventListeners(ctl.signal, "abort")).toHaveLength(0);
    expect(warnings).not.toContain("MaxListenersExceededWarning");
  });
});
