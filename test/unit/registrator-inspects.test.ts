// Inspects per container lifecycle, as dockerd sends its events: a start is one inspect, a stop one; the events
// that cannot change a registration (a not-running container's network connect or disconnect) cost none.
import { describe, expect, it } from "vitest";
import { MemoryRegistry } from "../../adapters/memory/index.js";
import { Registrator } from "../../src/registrator/registrator.js";
import { container, FakeDocker } from "./fixtures/fake-docker.js";
import { LOOP_OPTS } from "./fixtures/registrator-options.js";

/** Counts inspects by container id. */
class CountingDocker extends FakeDocker {
  inspects = new Map<string, number>();
  override async inspect(id: string) {
    this.inspects.set(id, (this.inspects.get(id) ?? 0) + 1);
    return super.inspect(id);
  }
}

type Step = { action: string; running?: boolean; removed?: boolean };

// dockerd's order: `docker run` connects the container to its networks, then starts it; `docker stop` sends kill,
// the container dies, is disconnected, then "stop"; `docker rm` destroys it.
const RUN: Step[] = [{ action: "connect" }, { action: "start", running: true }];
const STOP: Step[] = [{ action: "die", running: false }, { action: "disconnect" }];
const cases: Array<{ case: string; steps: Step[][]; inspects: number; registered: number }> = [
  { case: "docker run: one inspect", steps: [RUN], inspects: 1, registered: 1 },
  { case: "run then stop: one inspect each", steps: [RUN, STOP], inspects: 2, registered: 0 },
  { case: "run, stop, start again", steps: [RUN, STOP, RUN], inspects: 3, registered: 1 },
  { case: "network connect to a running container is inspected", steps: [RUN, [{ action: "connect" }]], inspects: 2, registered: 1 },
  { case: "network disconnect from a running container is inspected", steps: [RUN, [{ action: "disconnect" }]], inspects: 2, registered: 1 },
  { case: "network connect to a stopped container is not", steps: [RUN, STOP, [{ action: "connect" }]], inspects: 2, registered: 0 },
  { case: "removed after it stopped", steps: [RUN, STOP, [{ action: "destroy", removed: true }]], inspects: 3, registered: 0 },
];

describe("Registrator inspects per Docker event sequence", () => {
  cases.forEach((c, i) => {
    it(`${i}_${c.case}`, async () => {
      const d = new CountingDocker();
      const reg = new MemoryRegistry();
      const r = new Registrator(d, reg, LOOP_OPTS);
      await r.start();
      let t = 1n;
      const info = container("a", "alpha");
      info.State.Running = false;
      d.containers.set("a", info);
      for (const steps of c.steps) {
        for (const s of steps) {
          if (s.running !== undefined) info.State.Running = s.running;
          if (s.removed) d.containers.delete("a");
          d.emit("a", s.action, t++);
        }
        // Each command's events are seen before the next command runs (docker run returns after "start").
        await new Promise((resolve) => setImmediate(resolve));
        await r.idle();
      }
      expect(d.inspects.get("a") ?? 0).toBe(c.inspects);
      expect((await reg.listOwned("h1")).length).toBe(c.registered);
      await r.stop({ deregisterAll: false });
    });
  });

  it(`${cases.length}_a running container listed by the resync is inspected at its network connect`, async () => {
    const d = new CountingDocker();
    d.containers.set("a", container("a", "alpha"));
    const reg = new MemoryRegistry();
    const r = new Registrator(d, reg, LOOP_OPTS);
    await r.start();
    expect(d.inspects.get("a")).toBe(1);
    d.emit("a", "connect", 1n);
    await new Promise((resolve) => setImmediate(resolve));
    await r.idle();
    expect(d.inspects.get("a")).toBe(2);
    await r.stop({ deregisterAll: false });
  });
});
