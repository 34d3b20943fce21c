// watchNamed: only the named services are read and watched (one blocking query each), as consul-template does.
import { describe, expect, it } from "vitest";
import { silentLogger } from "../../src/core/log.js";
import { nextWake } from "../support/wake.js";
import type { CatalogSnapshot } from "../../src/core/model.js";
import { watchNamed, type NamedSource } from "../../adapters/consul/watch-named.js";
import type { ConsulHealthEntry } from "../../adapters/consul/types.js";

/** Per-service indexes, blocking like Consul's /v1/health/service/<name>?index=. */
class FakeServices implements NamedSource {
  private index = 10;
  readonly at = new Map<string, number>();
  readonly entries = new Map<string, ConsulHealthEntry[]>();
  readonly calls: string[] = [];
  private waiters: (() => void)[] = [];

  add(name: string, id: string, port: number, status = "passing"): void {
    this.index++;
    const list = this.entries.get(name) ?? [];
    list.push({
      Node: { Node: "n1", Address: "10.0.0.1" },
      Service: { ID: id, Service: name, Tags: [], Meta: {}, Address: "", Port: port },
      Checks: [{ CheckID: `c:${id}`, Status: status, ServiceID: id, ServiceName: name, Node: "n1", ModifyIndex: this.index }],
    });
    this.entries.set(name, list);
    this.at.set(name, this.index);
    for (const w of this.waiters.splice(0)) w();
  }

  /** As Consul: `passingOnly` (?passing) leaves out every entry with a check that is not passing. */
  async healthService(name: string, signal: AbortSignal, index = 0, _waitMs = 0, passingOnly = false): Promise<{ index: number; body: ConsulHealthEntry[] }> {
    this.calls.push(`${name}@${index}${passingOnly ? "?passing" : ""}`);
    while (index > 0 && (this.at.get(name) ?? 1) <= index && !signal.aborted) await nextWake(this.waiters, signal);
    const all = this.entries.get(name) ?? [];
    return { index: this.at.get(name) ?? 1, body: passingOnly ? all.filter((e) => e.Checks.every((c) => c.Status === "passing")) : all };
  }
}

const opts = { waitMs: 1000, logger: silentLogger(), backoff: { initialMs: 1, maxMs: 5, jitter: 0 } };
const ids = (s: CatalogSnapshot) => s.instances.map((i) => i.id);

describe("watchNamed", () => {
  it("0_reads_and_watches_only_the_named_services; another service's change costs nothing", async () => {
    const fake = new FakeServices();
    for (let n = 0; n < 20; n++) fake.add(`s${n}`, `i${n}`, 1000 + n);
    const ctl = new AbortController();
    const it = watchNamed(fake, ["s3", "s5"], opts, ctl.signal)[Symbol.asyncIterator]();
    expect(ids((await it.next()).value as CatalogSnapshot)).toEqual(["i3", "i5"]);
    await new Promise((r) => setImmediate(r));
    const started = fake.calls.splice(0);
    expect(started.filter((c) => c.endsWith("@0")).sort()).toEqual(["s3@0", "s5@0"]); // start-up: 2 reads
    fake.add("s9", "x9", 2000); // not used
    fake.add("s3", "x3", 2001); // used
    expect(ids((await it.next()).value as CatalogSnapshot)).toEqual(["i3", "x3", "i5"]);
    await new Promise((r) => setImmediate(r));
    // The used service's long poll answered and was re-armed; s9's change asked nothing of anyone.
    expect(fake.calls.every((c) => c.startsWith("s3@") || c.startsWith("s5@"))).toBe(true);
    ctl.abort();
    expect((await it.next()).done).toBe(true);
  });

  it("2_passing_only: every read and long poll asks Consul for passing entries only, as consul-template does", async () => {
    const fake = new FakeServices();
    fake.add("s1", "a", 1);
    fake.add("s1", "b", 2, "critical");
    const ctl = new AbortController();
    const it = watchNamed(fake, ["s1"], { ...opts, passingOnly: true }, ctl.signal)[Symbol.asyncIterator]();
    expect(ids((await it.next()).value as CatalogSnapshot)).toEqual(["a"]);
    fake.add("s1", "c", 3);
    expect(ids((await it.next()).value as CatalogSnapshot)).toEqual(["a", "c"]);
    await new Promise((r) => setImmediate(r));
    expect(fake.calls.length).toBeGreaterThanOrEqual(3); // the read, the answered long poll, the re-armed one
    expect(fake.calls.every((c) => c.endsWith("?passing"))).toBe(true);
    ctl.abort();
    expect((await it.next()).done).toBe(true);
  });

  it("1_no_names: an empty catalog at once, nothing read", async () => {
    const fake = new FakeServices();
    fake.add("s0", "i0", 1);
    const ctl = new AbortController();
    const it = watchNamed(fake, [], opts, ctl.signal)[Symbol.asyncIterator]();
    expect(ids((await it.next()).value as CatalogSnapshot)).toEqual([]);
    expect(fake.calls).toEqual([]);
    ctl.abort();
  });
});
