// SharedWatchRegistry: every reader of one process follows one upstream watch of the backend.
import { describe, expect, it } from "vitest";
import { createMemoryRegistry } from "../../adapters/memory/index.js";
import type { CatalogSnapshot, Instance } from "../../src/core/model.js";
import { shareWatch } from "../../src/core/shared-watch.js";

const inst = (id: string): Instance => ({ id, name: "web", address: "10.0.0.1", port: 80, protocol: "tcp", tags: [], meta: {}, checks: [], health: "passing", owner: "h" });

/** A memory registry that counts the watches opened on it and how many are running. */
function countingBackend() {
  const backend = createMemoryRegistry();
  const watch = backend.watch.bind(backend);
  const counts = { opened: 0, running: 0 };
  backend.watch = (signal?: AbortSignal) =>
    (async function* () {
      counts.opened++;
      counts.running++;
      try {
        yield* watch(signal);
      } finally {
        counts.running--;
      }
    })();
  return { backend, counts };
}

async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !cond(); i++) await new Promise((r) => setImmediate(r));
  expect(cond()).toBe(true);
}

describe("shareWatch", () => {
  it("0_readers_share_one_upstream_watch_and_all_see_every_change", async () => {
    const { backend, counts } = countingBackend();
    const shared = shareWatch(backend);
    const seen: string[][] = [[], [], []];
    const ctl = [new AbortController(), new AbortController(), new AbortController()];
    const readers = ctl.map(async (c, n) => {
      for await (const s of shared.watch(c.signal)) seen[n]!.push(s.instances.map((i) => i.id).join(","));
    });
    await backend.register(inst("a"));
    await until(() => seen.every((s) => s.at(-1) === "a"));
    await backend.register(inst("b"));
    await until(() => seen.every((s) => s.at(-1) === "a,b"));
    expect(counts.opened).toBe(1);
    expect(shared.started).toBe(1);
    ctl[0]!.abort();
    ctl[1]!.abort();
    await until(() => counts.running === 1); // one reader left: the upstream goes on
    ctl[2]!.abort();
    await Promise.all(readers);
    await until(() => counts.running === 0); // the last reader left: the upstream stopped
  });

  it("1_close_ends_every_reader", async () => {
    const { backend, counts } = countingBackend();
    const shared = shareWatch(backend);
    const firsts: CatalogSnapshot[] = [];
    const readers = [0, 1].map(async () => {
      for await (const s of shared.watch()) firsts.push(s);
    });
    await until(() => firsts.length === 2);
    await shared.close();
    await Promise.all(readers);
    expect(counts.opened).toBe(1);
    expect(counts.running).toBe(0);
  });
});
