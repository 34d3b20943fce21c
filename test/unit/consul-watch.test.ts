// The watch loop against a fake blocking-query source (the real agent is in test/integration/consul-watch.test.ts):
// one long poll per service up to `servicePolls` names, the locator (health state) above.
import { getEventListeners } from "node:events";
import { describe, expect, it } from "vitest";
import { silentLogger } from "../../src/core/log.js";
import { nextWake } from "../support/wake.js";
import { FakeClock, settle } from "../support/fake-clock.js";
import type { CatalogSnapshot } from "../../src/core/model.js";
import { capturingLogger } from "../support/capturing-logger.js";
import { DEFAULT_SERVICE_POLLS, watchCatalog, type CatalogWatchOptions, type WatchSource } from "../../adapters/consul/watch.js";
import { DEFAULT_LOCATE_GRACE_MS } from "../../adapters/consul/watch-locate.js";
import type { Blocking } from "../../adapters/consul/client.js";
import { translateFailure } from "../../adapters/consul/failures.js";
import { ConsulHttpStatusError } from "../../adapters/consul/http.js";
import type { ConsulCheckState, ConsulHealthEntry } from "../../adapters/consul/types.js";

/**
 * An in-memory catalog that answers blocking queries like Consul: block while the index is <= the asked one.
 * As in Consul, catalog/services only moves on (de)registration, health/state only on check changes, and a
 * service's own index only on changes of that service (a name without entries answers at the services' index).
 */
class FakeConsul implements WatchSource {
  index = 10;
  servicesIndex = 10;
  checksIndex = 10;
  entries = new Map<string, ConsulHealthEntry[]>();
  /** Answers of GET /v1/health/service/<name>, blocking or not. */
  reads = new Map<string, number>();
  /** Every request made: "services", "state", "service:<name>". */
  asked: string[] = [];
  /** Requests waiting for an answer now. */
  open = new Map<string, number>();
  /** Names whose request was aborted while it waited. */
  aborted: string[] = [];
  readonly at = new Map<string, number>();
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
    this.at.set(name, this.index);
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
    this.at.set(name, this.index);
  }

  /** Deregisters an instance and its checks (one transaction: both tables move). */
  remove(name: string, id: string): void {
    this.entries.set(name, (this.entries.get(name) ?? []).filter((e) => e.Service.ID !== id));
    this.bump();
    this.at.set(name, this.index);
  }

  /** Deregisters a whole service. */
  drop(name: string): void {
    this.entries.delete(name);
    this.at.delete(name);
    this.bump();
  }

  private serviceIndex(name: string): number {
    return this.entries.has(name) ? (this.at.get(name) ?? this.servicesIndex) : this.servicesIndex;
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

  private async block(what: string, index: number, current: () => number, signal: AbortSignal): Promise<void> {
    this.asked.push(what);
    if (this.failNext > 0) {
      this.failNext--;
      throw new Error("ECONNREFUSED");
    }
    this.open.set(what, (this.open.get(what) ?? 0) + 1);
    try {
      while (index > 0 && current() <= index && !signal.aborted) await nextWake(this.waiters, signal);
      if (signal.aborted) this.aborted.push(what);
    } finally {
      this.open.set(what, this.open.get(what)! - 1);
      if (this.open.get(what) === 0) this.open.delete(what);
    }
  }

  async catalogServices(index: number, _w: number, signal: AbortSignal): Promise<Blocking<Record<string, string[]>>> {
    await this.block("services", index, () => this.servicesIndex, signal);
    return { index: this.servicesIndex, body: Object.fromEntries([...this.entries.keys()].map((k) => [k, []])) };
  }

  async healthState(index: number, _w: number, signal: AbortSignal): Promise<Blocking<ConsulCheckState[]>> {
    await this.block("state", index, () => this.checksIndex, signal);
    return { index: this.checksIndex, body: [...this.entries.values()].flat().flatMap((e) => e.Checks) };
  }

  async healthService(name: string, signal: AbortSignal, index = 0): Promise<Blocking<ConsulHealthEntry[]>> {
    await this.block(`service:${name}`, index, () => this.serviceIndex(name), signal);
    this.reads.set(name, (this.reads.get(name) ?? 0) + 1);
    return { index: this.serviceIndex(name), body: this.entries.get(name) ?? [] };
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

  override healthService(name: string, signal: AbortSignal, index?: number) {
    return this.hold(signal, () => super.healthService(name, signal, index));
  }
}

describe("watchCatalog abort listeners", () => {
  it.each([
    ["per_service_polls", DEFAULT_SERVICE_POLLS],
    ["locator", 0],
  ])("%#_bounded_over_a_long_watch_of_many_services_%s", async (_mode, servicePolls) => {
    const warnings: string[] = [];
    const onWarning = (w: Error) => void warnings.push(w.name);
    process.on("warning", onWarning);
    const fake = new ListeningConsul();
    for (let n = 0; n < 30; n++) fake.set(`s${n}`, `i${n}`, 1000 + n);
    const ctl = new AbortController();
    let outer = 0;
    let version = 0;
    try {
      for await (const s of watchCatalog(fake, { ...opts, servicePolls }, ctl.signal)) {
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

describe("watchCatalog, locator mode (more services than servicePolls): a change costs what changed", () => {
  const SERVICES = 30;
  async function started(fake: FakeConsul, clock = new FakeClock()) {
    for (let n = 0; n < SERVICES; n++) fake.set(`s${n}`, `i${n}`, 1000 + n);
    let unlocated = 0;
    const ctl = new AbortController();
    const it = watchCatalog(fake, { ...opts, clock, servicePolls: 0, onUnlocated: () => unlocated++ }, ctl.signal)[Symbol.asyncIterator]();
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

/** Lets the watch's loops run until they wait on the fake again. */
const quiet = () => settle(10);

function webAndDb(): FakeConsul {
  const fake = new FakeConsul();
  fake.set("web", "w1", 80);
  fake.set("db", "d1", 5432);
  return fake;
}

describe("watchCatalog, one long poll per service", () => {
  async function started(fake: FakeConsul, o: Partial<CatalogWatchOptions> = {}) {
    const ctl = new AbortController();
    const it = watchCatalog(fake, { ...opts, ...o }, ctl.signal)[Symbol.asyncIterator]();
    const first = (await it.next()).value as CatalogSnapshot;
    await quiet();
    fake.asked = [];
    fake.reads.clear();
    return { it, ctl, first };
  }

  it("0_a_change_costs_the_answers_of_the_polls_it_moved_and_no_health_state", async () => {
    const fake = new FakeConsul();
    for (let n = 0; n < 30; n++) fake.set(`s${n}`, `i${n}`, 1000 + n);
    const w = await started(fake);
    expect(w.first.instances).toHaveLength(30);
    // Every service and the names are waited on, nothing else.
    expect([...fake.open.keys()].sort()).toEqual(["services", ...Array.from({ length: 30 }, (_, n) => `service:s${n}`)].sort());

    fake.setStatus("s4", "i4", "critical"); // one answer: s4's poll (re-armed)
    expect(summary((await w.it.next()).value as CatalogSnapshot)).toContain("s4/i4:1004:critical:n1");
    await quiet();
    expect(fake.asked).toEqual(["service:s4"]);
    expect([...fake.reads]).toEqual([["s4", 1]]);
    fake.asked = [];
    fake.reads.clear();

    fake.set("s9", "extra", 2000); // an instance added: the names and s9's poll
    expect(summary((await w.it.next()).value as CatalogSnapshot)).toContain("s9/extra:2000:passing:n1");
    await quiet();
    expect(fake.asked.sort()).toEqual(["service:s9", "services"]);
    expect([...fake.reads]).toEqual([["s9", 1]]);
    expect(fake.asked).not.toContain("state");
    w.ctl.abort();
  });

  it("1_a_new_name_starts_its_poll_and_a_name_gone_aborts_its_poll", async () => {
    const fake = webAndDb();
    const w = await started(fake);

    fake.set("cache", "c1", 6379);
    expect(summary((await w.it.next()).value as CatalogSnapshot)).toEqual(["cache/c1:6379:passing:n1", "db/d1:5432:passing:n1", "web/w1:80:passing:n1"]);
    await quiet();
    expect(fake.open.has("service:cache")).toBe(true);

    fake.drop("db");
    expect(summary((await w.it.next()).value as CatalogSnapshot)).toEqual(["cache/c1:6379:passing:n1", "web/w1:80:passing:n1"]);
    await quiet();
    expect(fake.open.has("service:db")).toBe(false);
    expect(fake.aborted).toContain("service:db");
    const asked = fake.asked.length;
    fake.set("web", "w2", 81); // db's poll is gone: it is not asked again
    await w.it.next();
    await quiet();
    expect(fake.asked.slice(asked).filter((a) => a === "service:db")).toEqual([]);
    w.ctl.abort();
  });

  it("2_an_error_resets_only_that_poll_and_it_reads_its_service_again", async () => {
    const fake = webAndDb();
    const w = await started(fake);
    fake.failNext = 1; // the next request made (web's re-armed poll) fails
    fake.setStatus("web", "w1", "critical");
    expect(summary((await w.it.next()).value as CatalogSnapshot)).toContain("web/w1:80:critical:n1");
    fake.setStatus("web", "w1", "passing");
    expect(summary((await w.it.next()).value as CatalogSnapshot)).toContain("web/w1:80:passing:n1");
    // web's poll failed once and asked again from index 0 (a read at once); db's poll was never touched.
    expect(fake.asked.filter((a) => a === "service:web").length).toBeGreaterThanOrEqual(3);
    expect(fake.asked).not.toContain("service:db");
    w.ctl.abort();
  });

  it("3_abort_ends_every_poll_at_once", async () => {
    const fake = new FakeConsul();
    for (let n = 0; n < 10; n++) fake.set(`s${n}`, `i${n}`, 1000 + n);
    const w = await started(fake);
    expect(fake.open.size).toBe(11);
    w.ctl.abort();
    expect((await w.it.next()).done).toBe(true);
    expect(fake.open.size).toBe(0);
    expect(fake.aborted).toHaveLength(11);
  });
});

describe("watchCatalog: per-service polls up to servicePolls, the locator above", () => {
  it("0_switches_both_ways_when_the_names_cross_the_cap_with_continuous_snapshots", async () => {
    const fake = new FakeConsul();
    for (let n = 0; n < 3; n++) fake.set(`s${n}`, `i${n}`, 1000 + n);
    const { logger, lines } = capturingLogger();
    const ctl = new AbortController();
    const seen: string[][] = [];
    const it = watchCatalog(fake, { ...opts, logger, servicePolls: 3 }, ctl.signal)[Symbol.asyncIterator]();
    const next = async () => {
      const s = (await it.next()).value as CatalogSnapshot;
      seen.push(summary(s));
      return summary(s);
    };
    expect(await next()).toHaveLength(3);
    await quiet();
    expect(fake.open.has("state")).toBe(false);
    expect(lines.filter((l) => String(l.msg).includes("servicePolls"))).toEqual([]);

    fake.set("s3", "i3", 1003); // 4 names > 3: the locator
    expect(await next()).toContain("s3/i3:1003:passing:n1");
    await quiet();
    expect(fake.open.has("state")).toBe(true);
    expect([...fake.open.keys()].filter((k) => k.startsWith("service:"))).toEqual([]);
    const toLocator = lines.filter((l) => String(l.msg).includes("more services than per-service long polls"));
    expect(toLocator).toHaveLength(1);
    expect(toLocator[0]).toMatchObject({ services: 4, servicePolls: 3, level: 30 });

    fake.setStatus("s1", "i1", "critical"); // followed by the locator
    expect(await next()).toContain("s1/i1:1001:critical:n1");

    fake.drop("s0"); // 3 names: one poll per service again
    expect(await next()).not.toContain("s0/i0:1000:passing:n1");
    await quiet();
    expect(fake.open.has("state")).toBe(false);
    expect([...fake.open.keys()].filter((k) => k.startsWith("service:")).sort()).toEqual(["service:s1", "service:s2", "service:s3"]);
    expect(lines.filter((l) => String(l.msg).includes("within the per-service long polls"))).toHaveLength(1);
    fake.setStatus("s2", "i2", "critical");
    expect(await next()).toContain("s2/i2:1002:critical:n1");

    // No snapshot in between was empty or missed a service that stayed (s1, s2 throughout; s3 once added).
    expect(seen).toHaveLength(5);
    for (const s of seen) expect(s.filter((e) => /^s[12]\//.test(e))).toHaveLength(2);
    for (const s of seen.slice(1)) expect(s.filter((e) => e.startsWith("s3/"))).toHaveLength(1);
    ctl.abort();
    expect((await it.next()).done).toBe(true);
    expect(fake.open.size).toBe(0);
  });

  it("1_over_the_cap_from_the_start_follows_the_health_state", async () => {
    const fake = new FakeConsul();
    for (let n = 0; n < 5; n++) fake.set(`s${n}`, `i${n}`, 1000 + n);
    const { logger, lines } = capturingLogger();
    const ctl = new AbortController();
    const it = watchCatalog(fake, { ...opts, logger, servicePolls: 4 }, ctl.signal)[Symbol.asyncIterator]();
    expect(((await it.next()).value as CatalogSnapshot).instances).toHaveLength(5);
    await quiet();
    expect([...fake.open.keys()].sort()).toEqual(["services", "state"]);
    expect(lines.filter((l) => String(l.msg).includes("more services than per-service long polls"))).toHaveLength(1);
    ctl.abort();
  });
});

describe("watchCatalog: an agent that refuses more connections from this address (HTTP 429)", () => {
  class LimitedConsul extends FakeConsul {
    refused = new Set<string>();
    override async healthService(name: string, signal: AbortSignal, index = 0): Promise<Blocking<ConsulHealthEntry[]>> {
      // Refused while other polls hold this address's connections (as an agent at its limit does).
      if (this.refused.has(name) && [...this.open.keys()].some((k) => k.startsWith("service:"))) {
        // The agent's answer as the client translates it.
        const raw = new ConsulHttpStatusError(429, "Your IP is issuing too many concurrent connections, please rate limit your calls");
        throw translateFailure(raw, { operation: "health of service", serviceId: "", tokenGiven: false, redact: (t) => t });
      }
      return super.healthService(name, signal, index);
    }
  }

  it("0_follows_the_health_state_with_one_socket_instead_of_waiting_for_a_poll_that_never_opens", async () => {
    const fake = new LimitedConsul();
    for (let n = 0; n < 3; n++) fake.set(`s${n}`, `i${n}`, 1000 + n);
    fake.refused.add("s2");
    const { logger, lines } = capturingLogger();
    const ctl = new AbortController();
    const it = watchCatalog(fake, { ...opts, logger, servicePolls: 10 }, ctl.signal)[Symbol.asyncIterator]();
    expect(summary((await it.next()).value as CatalogSnapshot)).toHaveLength(3);
    await quiet();
    expect([...fake.open.keys()].sort()).toEqual(["services", "state"]);
    const warned = lines.filter((l) => String(l.msg).includes("http_max_conns_per_client"));
    expect(warned).toHaveLength(1);
    expect(warned[0]).toMatchObject({ level: 40, services: 3 });
    fake.setStatus("s2", "i2", "critical");
    expect(summary((await it.next()).value as CatalogSnapshot)).toContain("s2/i2:1002:critical:n1");
    ctl.abort();
    expect((await it.next()).done).toBe(true);
  });
});

describe("ConsulRegistry watchServicePolls", () => {
  it("0_refused_unless_a_whole_number_from_0", async () => {
    const { ConsulRegistry, ConsulOptionsError } = await import("../../adapters/consul/index.js");
    for (const bad of [-1, 1.5, Number.NaN]) expect(() => new ConsulRegistry({ host: "127.0.0.1", port: 1, watchServicePolls: bad })).toThrow(ConsulOptionsError);
    await new ConsulRegistry({ host: "127.0.0.1", port: 1, watchServicePolls: 0 }).close();
  });
});
