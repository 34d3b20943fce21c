import { describe, expect, it } from "vitest";
import { MemoryRegistry } from "../../adapters/memory/index.js";
import type { Instance } from "../../src/core/model.js";
import { delay } from "../../src/core/util.js";
import { ServiceDirectory } from "../../src/render/services.js";
import { LOOKUP } from "../../src/render/template.js";
import { QuietPeriod, watchServices } from "../../src/render/watch.js";
import { FakeClock } from "../support/fake-clock.js";

describe("QuietPeriod (min/max)", () => {
  const cases: Array<{ name: string; pokes: number[]; until: number; fires: number[] }> = [
    { name: "single_change_fires_after_min", pokes: [0], until: 1000, fires: [100] },
    { name: "burst_extends_min", pokes: [0, 50, 120], until: 1000, fires: [220] },
    { name: "continuous_burst_capped_by_max", pokes: [0, 90, 180, 270, 360, 450, 540], until: 1000, fires: [500, 640] },
    { name: "two_bursts_two_fires", pokes: [0, 400], until: 1000, fires: [100, 500] },
  ];
  cases.forEach((c, i) =>
    it(`${i}_${c.name}`, async () => {
      const clock = new FakeClock();
      const t0 = clock.now();
      const fires: number[] = [];
      const q = new QuietPeriod(100, 500, () => fires.push(clock.now() - t0), clock);
      let at = 0;
      for (const p of c.pokes) {
        await clock.advance(p - at);
        at = p;
        q.poke();
      }
      await clock.advance(c.until - at);
      expect(fires).toEqual(c.fires);
    }),
  );
});

function inst(name: string, address: string, port: number, health: Instance["health"] = "passing"): Instance {
  return { id: `h:${name}:${address}:${port}`, name, address, port, protocol: "tcp", tags: [], meta: {}, checks: [], health, owner: "h" };
}

/** Options every case shares: quiet 10-50 ms, "db" rendered from the registry's current catalog. */
function base(reg: MemoryRegistry, signal: AbortSignal) {
  return { registry: reg, signal, minQuietMs: 10, maxQuietMs: 50, initialFingerprint: new ServiceDirectory(reg.snapshot()).fingerprint(["db"]) };
}

describe("watchServices", () => {
  it("0_rerenders_only_on_changes_of_used_services", async () => {
    const reg = new MemoryRegistry();
    await reg.register(inst("db", "10.0.0.1", 1));
    const ac = new AbortController();
    const seen: string[] = [];
    const done = watchServices({
      ...base(reg, ac.signal),
      services: () => ["db"],
      onChange: async (dir) => {
        seen.push(dir[LOOKUP]("db").map((l) => l.hostPort).join(","));
      },
    });
    await delay(40);
    expect(seen).toEqual([]); // first snapshot = what was rendered
    await reg.register(inst("other", "10.0.0.9", 9)); // unused service
    await reg.register(inst("db", "10.0.0.3", 3, "critical")); // not passing
    await delay(40);
    expect(seen).toEqual([]);
    await reg.register(inst("db", "10.0.0.2", 2));
    await reg.register(inst("db", "10.0.0.4", 4)); // same burst
    await delay(80);
    expect(seen).toEqual(["10.0.0.1:1,10.0.0.2:2,10.0.0.4:4"]);
    ac.abort();
    await done;
  });

  it("1_watches_only_the_used_names_and_reopens_with_more_when_a_render_uses_more", async () => {
    const reg = new MemoryRegistry();
    await reg.register(inst("db", "10.0.0.1", 1));
    const scopes: string[] = [];
    const watch = reg.watch.bind(reg);
    reg.watch = (signal?: AbortSignal, scope?: { services?: readonly string[]; passingOnly?: boolean }) => {
      // Templates list passing instances only: the watch may leave the others out.
      scopes.push(`${(scope?.services ?? ["*"]).join(",")}${scope?.passingOnly ? " passing" : ""}`);
      return watch(signal);
    };
    const ac = new AbortController();
    let used = ["db"];
    const seen: string[] = [];
    const done = watchServices({
      ...base(reg, ac.signal),
      services: () => used,
      onChange: async (dir) => {
        seen.push(dir[LOOKUP]("cache").map((l) => l.hostPort).join(","));
        used = ["cache", "db"]; // the re-render reached a section naming another service
      },
    });
    await reg.register(inst("db", "10.0.0.2", 2));
    await delay(60);
    expect(scopes).toEqual(["db passing", "cache,db passing"]);
    await reg.register(inst("cache", "10.0.0.7", 7));
    await delay(60);
    expect(seen.at(-1)).toBe("10.0.0.7:7");
    ac.abort();
    await done;
  });
});
