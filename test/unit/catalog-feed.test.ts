// runFeed: the watch fills the state; the probe flips the backend status (with a fake sleep, no real waits).
import { describe, expect, it } from "vitest";
import { createMemoryRegistry } from "../../adapters/memory/index.js";
import { runFeed } from "../../src/catalog/feed.js";
import { defaultProbe } from "../../src/catalog/service.js";
import { CatalogState } from "../../src/catalog/state.js";
import { silentLogger } from "../../src/core/log.js";
import { BackendUnavailableError } from "../../src/core/errors.js";

describe("runFeed", () => {
  it("0_probe results drive the backend status; watch snapshots drive the content", async () => {
    const registry = createMemoryRegistry();
    const state = new CatalogState({ boot: "b" });
    const answers = [true, false, false, true];
    const ctl = new AbortController();
    const statuses: string[] = [];
    state.subscribe((e) => e.type === "backend" && statuses.push(e.data.status));
    let probes = 0;
    let release: () => void = () => {};
    const feed = runFeed(
      {
        registry,
        state,
        logger: silentLogger(),
        probe: async () => {
          const ok = answers[probes++];
          if (probes >= answers.length) release();
          if (!ok) throw new BackendUnavailableError({ backend: "memory", message: "down" });
        },
        // Probe loop: next probe at once; the watch loop never sleeps here (it only sleeps after a failure).
        sleep: () => new Promise((r) => setImmediate(r)),
      },
      ctl.signal,
    );
    await new Promise<void>((r) => (release = r));
    await registry.register({ id: "h:web:80", name: "web", address: "10.0.0.1", port: 80, protocol: "tcp", tags: [], meta: {}, checks: [], health: "passing", owner: "h" });
    await new Promise((r) => setImmediate(r));
    ctl.abort();
    await registry.close();
    await feed;
    expect(statuses.slice(0, 3)).toEqual(["up", "down", "up"]);
    expect(state.instances().map((i) => i.id)).toEqual(["h:web:80"]);
  });

  it("1_the_default_probe_never_lists: ping() when the backend has one, nothing for an in-process one", async () => {
    const lists: string[] = [];
    const pings: string[] = [];
    const inProcess = createMemoryRegistry();
    inProcess.listOwned = async (owner) => (lists.push(owner), []);
    const remote = Object.assign(createMemoryRegistry(), { ping: async () => void pings.push("ping") });
    remote.listOwned = async (owner) => (lists.push(owner), []);
    const signal = new AbortController().signal;
    for (let n = 0; n < 30; n++) {
      await defaultProbe(inProcess)!(signal);
      await defaultProbe(remote)!(signal);
    }
    expect(lists).toEqual([]);
    expect(pings).toHaveLength(30);
  });

  it("2_an idle backend is probed at most 10 times a minute, yet down is seen within 6 s and recovery within 2 s", async () => {
    const registry = createMemoryRegistry();
    const state = new CatalogState({ boot: "b" });
    const ctl = new AbortController();
    // Fake time: each sleep moves the clock; the backend answers until 60 s, not from 60 to 90 s, then again.
    let now = 0;
    const probes: number[] = [];
    const seen: Array<[string, number]> = [];
    state.subscribe((e) => e.type === "backend" && seen.push([e.data.status, now]));
    const feed = runFeed(
      {
        registry,
        state,
        logger: silentLogger(),
        probe: async () => {
          probes.push(now);
          if (now >= 60_000 && now < 90_000) throw new BackendUnavailableError({ backend: "memory", message: "down" });
        },
        sleep: (ms) => {
          now += ms;
          if (now >= 120_000) ctl.abort();
          return new Promise((r) => setImmediate(r));
        },
      },
      ctl.signal,
    );
    await feed;
    await registry.close();
    const within = (from: number, to: number) => probes.filter((t) => t >= from && t < to).length;
    expect(within(0, 60_000)).toBeLessThanOrEqual(10);
    expect(within(90_000 + 6_000, 120_000)).toBeLessThanOrEqual(5);
    const down = seen.find(([s, t]) => s === "down" && t >= 60_000)![1];
    const up = seen.find(([s, t]) => s === "up" && t >= 90_000)![1];
    expect(down - 60_000).toBeLessThanOrEqual(6_000);
    expect(up - 90_000).toBeLessThanOrEqual(2_000);
    expect(seen.map(([s]) => s)).toEqual(["up", "down", "up"]);
  });
});
