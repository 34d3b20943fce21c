// The watch loop against a fake blocking-query source (the real agent is in test/integration/consul.test.ts).
import { getEventListeners } from "node:events";
import { describe, expect, it } from "vitest";
import { silentLogger } from "../../src/core/log.js";
import { nextWake } from "../support/wake.js";
import { FakeClock, settle } from "../support/fake-clock.js";
import type { CatalogSnapshot } from "../../src/core/model.js";
import { DEFAULT_LOCATE_GRACE_MS, watchCatalog, type WatchSource } from "../../adapters/consul/watch.js";
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

  /** Registers (or replaces) an instance with one check, or none (`checks: false`: only the services table moves). */
  set(name: string, id: string, port: number, status = "passing", checks = true): void {
    const list = (this.entries.get(name) ?? []).filter((e) => e.Service.ID !== id);
    list.push({
      Node: { Node: "n1", Address: "10.0.0.1" },
      Service: { ID: id, Service: name, Tags: [], Meta: {}, Address: "", Port: port },
      Checks: checks ? [{ CheckID: `c:${id}`, Status: status, ServiceID: id, ServiceName: name, Node: "n1", ModifyIndex: this.index + 1 }] : [],
    });
    this.entries.set(name, list);
    if (checks) this.bump();
    else this.bumpServices();
  }

  /** Deregisters an instance and its checks (one transaction: both tables move). */
  remove(name: string, id: string): void {
    this.entries.set(name, (this.entries.get(name) ?? []).filter((e) => e.Service.ID !== id));
    this.bump();
  }

  /** A registration change: both the services and the checks tables move. */
  bump(): void {
    this.index++;
    this.servicesIndex = this.index;
    this.checksIndex = this.index;
    this.wakeAll();
  }

  bumpServices(): void {
    this.index++;
    this.servicesIndex = this.index;
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
    while (index > 0 && current() <= index && !signal.aborted) await nextWake(this.waiters, signal);
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

/** The health poll answers only when the test lets it (the services poll's answer arrives first). */
class LateHealthConsul extends FakeConsul {
  held = false;
  private release: (() => void)[] = [];

  letHealthAnswer(): void {
    this.held = false;
    for (const r of this.release.splice(0)) r();
  }

  override async healthState(index: number, w: number, signal: AbortSignal) {
    const r = await super.healthState(index, w, signal);
    while (this.held && !signal.aborted) await new Promise<void>((ok) => this.release.push(ok));
    return r;
  }
}

describe("watchCatalog: a change costs what changed", () => {
  const SERVICES = 30;
  async function started(fake: FakeConsul, clock = new FakeClock()) {
    for (let n = 0; n < SERVICES; n++) fake.set(`s${n}`, `i${n}`, 1000 + n);
    let unlocated = 0;
    const ctl = new AbortController();
    const it = watchCatalog(fake, { ...opts, clock, onUnlocated: () => unlocated++ }, ctl.signal)[Symbol.asyncIterator]();
    await it.next();
    fake.reads.clear();
    const reads = () => [...fake.reads.entries()].map(([k, v]) => `${k}x${v}`).sort();
    /** The next snapshot holds `entry` and cost exactly `expected` reads, none of them a full re-read. */
    const costs = async (next: Promise<IteratorResult<CatalogSnapshot>>, entry: string, expected: string[]) => {
      expect(summary((await next).value as CatalogSnapshot)).toContain(entry);
      expect(reads()).toEqual(expected);
      expect(unlocated).toBe(0);
      fake.reads.clear();
    };
    return { it, ctl, clock, reads, costs, unlocated: () => unlocated };
  }

  it("0_an_instance_added_or_removed_rereads_only_its_service", async () => {
    const fake = new FakeConsul();
    const w = await started(fake);
    fake.set("s5", "extra", 2000); // names and tags unchanged
    await w.costs(w.it.next(), "s5/extra:2000:passing:n1", ["s5x1"]);
    fake.remove("s5", "i5"); // the service stays, one of its instances goes
    const next = w.it.next();
    await w.costs(next, "s5/extra:2000:passing:n1", ["s5x1"]);
    expect(summary((await next).value as CatalogSnapshot)).not.toContain("s5/i5:1005:passing:n1");
    w.ctl.abort();
  });

  it("4_a_new_service_is_read_once_when_its_check_arrives_after_the_read", async () => {
    const fake = new LateHealthConsul();
    const w = await started(fake);
    fake.held = true;
    fake.set("brand-new", "b1", 2003); // a new name: located by the services poll alone, read at once
    await w.costs(w.it.next(), "brand-new/b1:2003:passing:n1", ["brand-newx1"]);
    fake.letHealthAnswer(); // its check, at an index that read already covers
    fake.setStatus("s1", "i1", "critical"); // the next change, to see what the late answer cost
    await w.costs(w.it.next(), "s1/i1:1001:critical:n1", ["s1x1"]);
    w.ctl.abort();
  });

  it("1_located_when_the_health_poll_answers_after_the_services_poll", async () => {
    const fake = new LateHealthConsul();
    const w = await started(fake);
    fake.held = true;
    fake.set("s3", "late", 2001);
    const next = w.it.next();
    await w.clock.advance(100); // within the grace: waiting for the health poll, nothing read yet
    expect(w.reads()).toEqual([]);
    fake.letHealthAnswer();
    await w.costs(next, "s3/late:2001:passing:n1", ["s3x1"]);
    w.ctl.abort();
  });

  it("2_a_change_no_poll_locates_rereads_everything_once_after_the_grace", async () => {
    const fake = new FakeConsul();
    const w = await started(fake);
    fake.set("s7", "nocheck", 2002, "passing", false); // no check: only catalog/services moves
    const next = w.it.next();
    await settle();
    expect(w.reads()).toEqual([]);
    await w.clock.advance(DEFAULT_LOCATE_GRACE_MS);
    const s = (await next).value as CatalogSnapshot;
    expect(summary(s)).toContain("s7/nocheck:2002:passing:n1");
    expect(fake.reads.size).toBe(SERVICES);
    expect(w.unlocated()).toBe(1);
    w.ctl.abort();
  });

  it("3_rare_300_mixed_changes_with_checks_are_all_located", async () => {
    const fake = new FakeConsul();
    const w = await started(fake);
    let changes = 0;
    for (let n = 0; n < 300; n++) {
      const svc = `s${(n * 7) % SERVICES}`;
      if (n % 3 === 0) fake.set(svc, `m${n}`, 3000 + n);
      else if (n % 3 === 1) fake.flip(svc, `i${(n * 7) % SERVICES}`);
      else fake.remove(`s${((n - 2) * 7) % SERVICES}`, `m${n - 2}`);
      changes++;
      await w.it.next();
    }
    const total = [...fake.reads.values()].reduce((a, b) => a + b, 0);
    expect(total).toBe(changes); // one read per change, never the whole catalog
    expect(w.unlocated()).toBe(0);
    w.ctl.abort();
  });
});
