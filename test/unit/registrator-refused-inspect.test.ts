// A container whose inspect answer is too large (megabytes of labels) is refused with one line and never retried:
// before, its inspect was retried for ever and the resync, which inspects every container, never finished.
import { describe, expect, it } from "vitest";
import { MemoryRegistry } from "../../adapters/memory/index.js";
import { ContainerTooLargeError, MAX_INSPECT_CHARS } from "../../src/docker/answers.js";
import type { RegistratorEvent } from "../../src/registrator/events.js";
import { Registrator, type RegistratorOptions } from "../../src/registrator/registrator.js";
import { FakeClock } from "../support/fake-clock.js";
import { container, FakeDocker } from "./fixtures/fake-docker.js";
import { LOOP_OPTS } from "./fixtures/registrator-options.js";

class HugeLabels extends FakeDocker {
  huge = new Set<string>();
  override async inspect(id: string) {
    if (this.huge.has(id)) throw new ContainerTooLargeError(id, MAX_INSPECT_CHARS);
    return super.inspect(id);
  }
}

const OPTS: RegistratorOptions = { ...LOOP_OPTS, concurrency: 2 };

const cases: Array<{ case: string; run: (d: HugeLabels, r: Registrator, clock: FakeClock) => Promise<void> }> = [
  { case: "at the first reconcile", run: async () => {} },
  {
    case: "on its start event, then at every resync",
    run: async (d, r, clock) => {
      d.emit("big", "start", 5n);
      await clock.untilSettled("the jobs", r.idle());
      await clock.untilSettled("resync", r.resync());
      await clock.untilSettled("resync", r.resync());
    },
  },
];

describe("a container too large to inspect", () => {
  cases.forEach((c, i) => {
    it(`${i}_is refused once ${c.case}; the others register`, async () => {
      const clock = new FakeClock();
      const d = new HugeLabels();
      d.containers.set("big", container("big", "big"));
      d.containers.set("small", container("small", "small"));
      d.huge.add("big");
      const reg = new MemoryRegistry();
      const events: RegistratorEvent[] = [];
      const r = new Registrator(d, reg, OPTS, (e) => events.push(e), clock);
      await clock.untilSettled("start", r.start());
      await c.run(d, r, clock);
      await clock.untilSettled("the jobs", r.idle());
      expect((await reg.listOwned("h1")).map((x) => x.name)).toEqual(["small"]);
      const refused = events.filter((e) => e.type === "rejected" && e.rejection.key === "inspect");
      expect(refused).toHaveLength(1);
      expect(events.some((e) => e.type === "docker-error")).toBe(false);
      await clock.untilSettled("stop", r.stop({ deregisterAll: false }));
    });
  });
});
