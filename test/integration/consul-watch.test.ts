// The Consul adapter's watch() against the real Consul dev agent: changes, one long poll per service, scale, agent
// restart.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConsulClient } from "../../adapters/consul/client.js";
import { ConsulRegistry } from "../../adapters/consul/index.js";
import { watchCatalog, type WatchSource } from "../../adapters/consul/watch.js";
import { silentLogger } from "../../src/core/log.js";
import { capturingLogger } from "../support/capturing-logger.js";
import type { Instance } from "../../src/core/model.js";
import { has, makeInstance, percentile, runNames, SnapshotRecorder, waitUntil } from "./consul-support.js";
import { consulRestart, TESTBED } from "./testbed.js";
import { DEFAULT_BACKOFF } from "../../src/core/util.js";

const NAMES = runNames("w");
const OWNER = NAMES.owner;
const inst = (n: string, over: Partial<Instance> = {}) => makeInstance(NAMES, n, over);

let reg: ConsulRegistry;

beforeAll(() => {
  reg = new ConsulRegistry({ ...TESTBED.consul, token: NAMES.token, watchWaitMs: 10_000 });
});

afterAll(async () => {
  if (reg) {
    for (const i of await reg.listOwned(OWNER).catch(() => [])) await reg.deregister(i);
    await reg.close();
  }
});

describe("watch", () => {
  it("0_first_state_then_changes_within_bounded_time", async () => {
    const rec = new SnapshotRecorder((signal) => reg.watch(signal));
    try {
      const first = await rec.waitFor(() => true, 10_000);
      expect(first.version).toBeGreaterThan(0);
      // The agent's own "consul" service is there, owned by the node name (registered without portolan meta).
      expect(first.instances.find((x) => x.name === "consul")?.owner).toBe("portolan-dev");

      const added: number[] = [];
      const healthChanged: number[] = [];
      for (let n = 0; n < 10; n++) {
        const i = inst(`W${n}`, { health: "passing" });
        let t0 = performance.now();
        await reg.register(i);
        const s1 = await rec.waitFor((s) => has(s, i.id, "passing"), 5000);
        added.push(performance.now() - t0);
        t0 = performance.now();
        await reg.setHealth(i, "critical", "down");
        const s2 = await rec.waitFor((s) => has(s, i.id, "critical"), 5000);
        healthChanged.push(performance.now() - t0);
        expect(s2.version).toBeGreaterThan(s1.version);
        const seen = s2.instances.find((x) => x.id === i.id);
        expect(seen).toMatchObject({ owner: OWNER, name: i.name, port: i.port, tags: i.tags, meta: i.meta });
        await reg.deregister(i);
        await rec.waitFor((s) => !s.instances.some((x) => x.id === i.id), 5000);
      }
      console.log(
        `[consul] change -> watch snapshot: register p50 ${percentile(added, 50).toFixed(1)} ms max ${Math.max(...added).toFixed(1)} ms; ` +
          `setHealth p50 ${percentile(healthChanged, 50).toFixed(1)} ms max ${Math.max(...healthChanged).toFixed(1)} ms`,
      );
      const versions = rec.all.map((s) => s.version);
      expect(versions).toEqual([...versions].sort((a, b) => a - b));
    } finally {
      await rec.stop();
    }
  });
});

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("one long poll per service", () => {
  const client = new ConsulClient({ ...TESTBED.consul, requestTimeoutMs: 10_000, logger: silentLogger() });
  afterAll(() => client.destroy());

  it("0_consul_answers_a_service's_blocking_query_only_when_that_service_changes", async () => {
    const a = inst("PA1");
    const b = inst("PB1");
    const b2 = inst("PB2", { name: b.name });
    for (const i of [a, b]) await reg.register(i);
    const ctl = new AbortController();
    try {
      const first = await client.healthService(a.name, ctl.signal);
      let answered = false;
      const poll = client.healthService(a.name, ctl.signal, first.index, 10_000).then((r) => ((answered = true), r));
      // Three changes of B (another instance, its health, the instance removed): A's poll sleeps through them.
      await reg.register(b2);
      await reg.setHealth(b, "critical", "down");
      await reg.deregister(b2);
      await pause(1500);
      expect(answered).toBe(false);
      await reg.setHealth(a, "critical", "down");
      const t0 = performance.now();
      const r = await poll;
      expect(performance.now() - t0).toBeLessThan(5000);
      expect(r.index).toBeGreaterThan(first.index);
      expect(r.body.flatMap((e) => e.Checks.map((c) => c.Status))).toContain("critical");
    } finally {
      ctl.abort();
      for (const i of [a, b, b2]) await reg.deregister(i);
    }
  });

  /** A source over the real agent that sees only this test's names (other suites change the shared agent) and counts answers. */
  function ours(prefix: string) {
    const answers: string[] = [];
    const inFlight = new Map<string, number>();
    const source: WatchSource = {
      catalogServices: async (i, w, s) => {
        const r = await client.catalogServices(i, w, s);
        return { ...r, body: Object.fromEntries(Object.entries(r.body).filter(([k]) => k.startsWith(prefix))) };
      },
      healthState: (i, w, s) => counted("state", () => client.healthState(i, w, s)),
      healthService: (name, s, i, w) => counted(name, () => client.healthService(name, s, i, w)),
    };
    async function counted<T>(what: string, ask: () => Promise<T>): Promise<T> {
      inFlight.set(what, (inFlight.get(what) ?? 0) + 1);
      try {
        const r = await ask();
        answers.push(what);
        return r;
      } finally {
        inFlight.set(what, inFlight.get(what)! - 1);
      }
    }
    return { source, answers, inFlight };
  }

  it("1_a_change_costs_the_answer_of_its_service's_poll; names come and go", async () => {
    const prefix = `pt${NAMES.run}-PW`;
    const svc = Array.from({ length: 6 }, (_, n) => inst(`PW${n}`));
    for (const i of svc.slice(0, 5)) await reg.register(i);
    const o = ours(prefix);
    const rec = new SnapshotRecorder((signal) => watchCatalog(o.source, { waitMs: 10_000, logger: silentLogger() }, signal));
    const extra = inst("PW2x", { name: svc[2]!.name });
    try {
      await rec.waitFor((s) => svc.slice(0, 5).every((i) => has(s, i.id, "passing")), 10_000);
      await pause(500);
      o.answers.splice(0);
      await reg.setHealth(svc[1]!, "critical", "down");
      await rec.waitFor((s) => has(s, svc[1]!.id, "critical"), 5000);
      await pause(500);
      expect(o.answers.splice(0)).toEqual([svc[1]!.name]);
      await reg.register(extra);
      await rec.waitFor((s) => has(s, extra.id, "passing"), 5000);
      await pause(500);
      expect(o.answers.splice(0)).toEqual([svc[2]!.name]);
      // A name gone: its poll ends; a new name: its first read, then its poll.
      await reg.deregister(svc[4]!);
      await rec.waitFor((s) => !s.instances.some((x) => x.name === svc[4]!.name), 5000);
      await pause(300);
      expect(o.inFlight.get(svc[4]!.name)).toBe(0);
      await reg.register(svc[5]!);
      await rec.waitFor((s) => has(s, svc[5]!.id, "passing"), 5000);
      await pause(300);
      expect(o.inFlight.get(svc[5]!.name)).toBe(1);
      expect(o.answers).not.toContain("state");
    } finally {
      await rec.stop();
      for (const i of [...svc, extra]) await reg.deregister(i);
    }
    expect([...o.inFlight.values()].every((n) => n === 0)).toBe(true); // stop aborted every poll
  });

  it("2_above_servicePolls_the_locator_and_back_logged_once_each_way", async () => {
    const prefix = `pt${NAMES.run}-PC`;
    const svc = Array.from({ length: 4 }, (_, n) => inst(`PC${n}`));
    for (const i of svc.slice(0, 3)) await reg.register(i);
    const o = ours(prefix);
    const { logger, lines } = capturingLogger();
    const rec = new SnapshotRecorder((signal) => watchCatalog(o.source, { waitMs: 10_000, logger, servicePolls: 3 }, signal));
    try {
      await rec.waitFor((s) => svc.slice(0, 3).every((i) => has(s, i.id, "passing")), 10_000);
      await reg.register(svc[3]!);
      await rec.waitFor((s) => has(s, svc[3]!.id, "passing"), 10_000);
      await reg.setHealth(svc[0]!, "critical", "down");
      await rec.waitFor((s) => has(s, svc[0]!.id, "critical"), 10_000);
      expect(o.answers).toContain("state");
      expect(lines.filter((l) => String(l.msg).includes("more services than per-service long polls"))).toHaveLength(1);
      await reg.deregister(svc[3]!);
      await rec.waitFor((s) => !s.instances.some((x) => x.id === svc[3]!.id), 10_000);
      await pause(300);
      expect(lines.filter((l) => String(l.msg).includes("within the per-service long polls"))).toHaveLength(1);
      expect(o.inFlight.get("state")).toBe(0);
      o.answers.splice(0);
      await reg.setHealth(svc[1]!, "critical", "down");
      await rec.waitFor((s) => has(s, svc[1]!.id, "critical"), 10_000);
      await pause(300);
      expect(o.answers).toEqual([svc[1]!.name]);
      // Every snapshot after the first held the three services that stayed: none was empty across the switches.
      for (const s of rec.all) expect(svc.slice(0, 3).every((i) => s.instances.some((x) => x.id === i.id))).toBe(true);
    } finally {
      await rec.stop();
      for (const i of svc) await reg.deregister(i);
    }
  });
});

describe("watch at scale", () => {
  it("0_hundreds_of_services_only_changed_ones_are_reread", async () => {
    const N = 300;
    const many = Array.from({ length: N }, (_, n) => inst(`S${n}`));
    for (const i of many) await reg.register(i);
    // The adapter's own client, with reads of /v1/health/service/<name> counted (no fake: the real agent answers).
    const client = new ConsulClient({ ...TESTBED.consul, requestTimeoutMs: 10_000, logger: silentLogger() });
    let reads = 0;
    const source: WatchSource = {
      catalogServices: (i, w, s) => client.catalogServices(i, w, s),
      healthState: (i, w, s) => client.healthState(i, w, s),
      healthService: (name, s, i, w) => (reads++, client.healthService(name, s, i, w)),
    };
    // More services than per-service polls: the locator (one health-state poll).
    const rec = new SnapshotRecorder((signal) => watchCatalog(source, { waitMs: 10_000, logger: silentLogger(), servicePolls: 64 }, signal));
    try {
      let t0 = performance.now();
      const first = await rec.waitFor(() => true, 30_000);
      const firstMs = performance.now() - t0;
      expect(many.every((i) => first.instances.some((x) => x.id === i.id))).toBe(true);
      expect(reads).toBeGreaterThanOrEqual(N);

      const target = many[7]!;
      reads = 0;
      t0 = performance.now();
      await reg.setHealth(target, "critical", "down");
      await rec.waitFor((s) => has(s, target.id, "critical"), 5000);
      const healthMs = performance.now() - t0;
      const healthReads = reads;
      expect(healthReads).toBeLessThan(20); // located: this service (plus whatever else changed meanwhile)

      const added = inst("S9999");
      reads = 0;
      t0 = performance.now();
      await reg.register(added);
      await rec.waitFor((s) => has(s, added.id, "passing"), 5000);
      const addMs = performance.now() - t0;
      const addReads = reads;

      const moved = { ...many[3]!, port: 30_003 };
      reads = 0;
      t0 = performance.now();
      await reg.register(moved); // same id, same tags, no check change: not locatable, all re-read
      await rec.waitFor((s) => s.instances.some((x) => x.id === moved.id && x.port === 30_003), 10_000);
      const moveMs = performance.now() - t0;
      console.log(
        `[consul] watch over ${N + 1} services: first snapshot ${firstMs.toFixed(0)} ms; ` +
          `setHealth -> snapshot ${healthMs.toFixed(1)} ms (${healthReads} reads); ` +
          `new instance -> snapshot ${addMs.toFixed(1)} ms (${addReads} reads); ` +
          `port change -> snapshot ${moveMs.toFixed(1)} ms (${reads} reads)`,
      );
      await reg.deregister(added);
    } finally {
      await rec.stop();
      client.destroy();
      for (const i of many) await reg.deregister(i);
    }
  });
});

describe("agent restart (runs last: the dev agent loses all state)", () => {
  it("0_the_registry_registers_again_what_the_empty_agent_lost_and_the_same_watch_goes_on", async () => {
    const rec = new SnapshotRecorder((signal) => reg.watch(signal));
    try {
      const i = inst("R1");
      await reg.register(i);
      await rec.waitFor((s) => has(s, i.id, "passing"), 5000);
      const tKill = performance.now();
      consulRestart(); // returns once the new agent is leader
      const tUp = performance.now();
      // The agent came back empty. The registry noticed it went (its connection closed) and, the agent answering
      // again, heartbeated what it registered: the 404 of an unknown check makes it register the entry again.
      await waitUntil(async () => (await reg.listOwned(OWNER)).some((x) => x.id === i.id && x.port === i.port), 30_000);
      const backMs = performance.now() - tUp;
      // The watch that ran across the restart goes on: a new entry shows in it.
      const j = inst("R2");
      await waitUntil(() => reg.register(j).then(() => true), 30_000);
      const t0 = performance.now();
      // Its polls failed while the agent was down and retry with backoff (at most DEFAULT_BACKOFF.maxMs apart): on a
      // loaded machine the restart can outlast several attempts (CI: not within 10 s).
      await rec.waitFor((s) => has(s, i.id, "passing") && has(s, j.id, "passing"), DEFAULT_BACKOFF.maxMs + 5000);
      console.log(
        `[consul] restart took ${(tUp - tKill).toFixed(0)} ms; the lost entry was registered again ${backMs.toFixed(0)} ms after it was up; ` +
          `a new entry seen by the same watch in ${(performance.now() - t0).toFixed(1)} ms`,
      );
      expect((await reg.listOwned(OWNER)).map((x) => x.id).sort()).toEqual([i.id, j.id].sort());
      await reg.deregister(i);
      await reg.deregister(j);
    } finally {
      await rec.stop();
    }
  });
});
