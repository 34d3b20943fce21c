// Shared refusals: the bounded per-host document (untrusted labels), the registrator's set (RejectionLog's
// "refusals" events) and the publisher's writes (one per change of the set, none while idle), on a fake clock.
import { describe, expect, it } from "vitest";
import { BackendAuthError } from "../../src/core/errors.js";
import { silentLogger } from "../../src/core/log.js";
import { decodeRefusals, encodeRefusals, hostRefusals, MAX_REFUSAL_REASON, MAX_REFUSALS_PER_HOST, RefusalFeed, type HostRefusals, type Refusal, type RefusalStore } from "../../src/core/refusals.js";
import type { Rejection } from "../../src/docker/mapping.js";
import type { RegistratorEvent } from "../../src/registrator/events.js";
import { RefusalPublisher } from "../../src/registrator/refusal-publisher.js";
import { RejectionLog } from "../../src/registrator/rejections.js";
import { FakeClock } from "../support/fake-clock.js";

const refusal = (n: number, over: Partial<Refusal> = {}): Refusal => ({ container: `c${String(n).padStart(3, "0")}`, key: "SERVICE_NAME", reason: "bad", since: "2026-01-01T00:00:00.000Z", ...over });
const rejection = (container: string, reason = "bad"): Rejection => ({ container, port: "80/tcp", key: "SERVICE_NAME", reason });

describe("the per-host document", () => {
  it("0_capped at MAX_REFUSALS_PER_HOST, the rest counted", () => {
    const doc = hostRefusals("h", Array.from({ length: MAX_REFUSALS_PER_HOST + 7 }, (_, i) => refusal(i)));
    expect(doc.refusals).toHaveLength(MAX_REFUSALS_PER_HOST);
    expect(doc.more).toBe(7);
    expect(doc.refusals[0]!.container).toBe("c000");
  });

  it("1_text bounded and control characters replaced", () => {
    const [r] = hostRefusals("h", [refusal(1, { container: "a\u001b[2Jb", reason: "x".repeat(5000) })]).refusals;
    expect(r!.container).toBe("a\ufffd[2Jb");
    expect(r!.reason).toHaveLength(MAX_REFUSAL_REASON);
  });

  it("2_a stored document is checked again: junk is no document, bad entries are counted, not shown", () => {
    expect(decodeRefusals("h", "not json")).toBeUndefined();
    expect(decodeRefusals("h", JSON.stringify({ refusals: "x" }))).toBeUndefined();
    const doc = decodeRefusals("h", JSON.stringify({ refusals: [refusal(1), { container: 5 }, refusal(2, { reason: "y".repeat(9999) })], more: 3 }))!;
    expect(doc.refusals.map((r) => r.container)).toEqual(["c001", "c002"]);
    expect(doc.refusals[1]!.reason).toHaveLength(MAX_REFUSAL_REASON);
    expect(doc.more).toBe(4);
    expect(decodeRefusals("h", encodeRefusals(hostRefusals("h", [refusal(1)])))).toEqual(hostRefusals("h", [refusal(1)]));
  });
});

describe("RejectionLog: the set refused now", () => {
  it("0_announced when it changes, not at every resync; a removed container leaves it", () => {
    const events: RegistratorEvent[] = [];
    const log = new RejectionLog((e) => events.push(e));
    const sets = () => events.flatMap((e) => (e.type === "refusals" ? [e.refusals.map((r) => r.container)] : []));
    log.report("id1", [rejection("bad")], "mapping");
    log.report("id1", [rejection("bad")], "mapping");
    log.report("id2", [], "mapping");
    expect(sets()).toEqual([["bad"]]);
    log.report("id2", [rejection("worse")], "mapping");
    log.report("id1", [], "mapping"); // its cause fixed
    log.forget("id2"); // removed
    log.forget("id2");
    expect(sets()).toEqual([["bad"], ["bad", "worse"], ["worse"], []]);
    expect(events.filter((e) => e.type === "rejected")).toHaveLength(2);
  });
});

class FakeStore implements RefusalStore {
  writes: HostRefusals[] = [];
  fail: unknown[] = [];
  private readonly feed = new RefusalFeed();
  async publish(doc: HostRefusals): Promise<void> {
    const f = this.fail.shift();
    if (f) throw f;
    this.writes.push(doc);
  }
  watch(signal?: AbortSignal) {
    return this.feed.watch(signal);
  }
}

function publisher(store: FakeStore, clock: FakeClock) {
  return new RefusalPublisher({ store, host: "h1", clock, log: silentLogger(), delayMs: 500 });
}

describe("RefusalPublisher", () => {
  it("0_the set at start (empty: removes what a crashed run left), then one write per change; an idle hour writes nothing", async () => {
    const clock = new FakeClock();
    const store = new FakeStore();
    const p = publisher(store, clock);
    p.start();
    await clock.advance(0);
    expect(store.writes).toEqual([{ host: "h1", refusals: [], more: 0 }]);
    // A burst (three containers within the quiet time) is one write.
    p.update([rejection("a")]);
    await clock.advance(100);
    p.update([rejection("a"), rejection("b")]);
    p.update([rejection("a"), rejection("b"), rejection("c")]);
    await clock.advance(1_000);
    expect(store.writes.map((w) => w.refusals.map((r) => r.container))).toEqual([[], ["a", "b", "c"]]);
    const since = store.writes[1]!.refusals[0]!.since;
    // The same set again (a resync) is no write; an hour idle is none either.
    p.update([rejection("a"), rejection("b"), rejection("c")]);
    await clock.advance(3_600_000);
    expect(store.writes).toHaveLength(2);
    // "a" stays refused: its since stays.
    p.update([rejection("a")]);
    await clock.advance(1_000);
    expect(store.writes).toHaveLength(3);
    expect(store.writes[2]!.refusals).toEqual([{ container: "a", port: "80/tcp", key: "SERVICE_NAME", reason: "bad", since }]);
    // Stop: the host's document is removed.
    await p.stop(1_000);
    expect(store.writes.at(-1)).toEqual({ host: "h1", refusals: [], more: 0 });
  });

  it("1_a failed write is retried with backoff; refused credentials wait for the next change", async () => {
    const clock = new FakeClock();
    const store = new FakeStore();
    const p = publisher(store, clock);
    p.update([rejection("a")]);
    store.fail.push(new Error("unreachable"), new Error("unreachable"));
    p.start();
    await clock.advance(0);
    expect(store.writes).toHaveLength(0);
    await clock.advance(60_000);
    expect(store.writes.map((w) => w.refusals.length)).toEqual([1]);
    store.fail.push(new BackendAuthError({ backend: "consul", message: "403" }));
    p.update([rejection("b")]);
    await clock.advance(3_600_000);
    expect(store.writes).toHaveLength(1);
    p.update([rejection("c")]);
    await clock.advance(1_000);
    expect(store.writes.map((w) => w.refusals[0]!.container)).toEqual(["a", "c"]);
    await p.stop(1_000);
  });
});
