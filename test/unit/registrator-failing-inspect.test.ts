// A container whose docker inspect fails for ever (dockerd answers 500 for it) is retried on its own schedule:
// before, the resync retried it inline for ever, so start() never resolved, every later resync waited on it and a
// container started meanwhile was registered only through its own event. Nor are its entries removed meanwhile.
import { describe, expect, it } from "vitest";
import { MemoryRegistry } from "../../adapters/memory/index.js";
import { DockerApiError } from "../../src/docker/client.js";
import type { RegistratorEvent } from "../../src/registrator/events.js";
import { Registrator, type RegistratorOptions } from "../../src/registrator/registrator.js";
import { FakeClock } from "../support/fake-clock.js";
import { container, FakeDocker } from "./fixtures/fake-docker.js";
import { LOOP_OPTS } from "./fixtures/registrator-options.js";

class FailingInspect extends FakeDocker {
  failing = new Set<string>();
  inspects = new Map<string, number>();
  override async inspect(id: string) {
    this.inspects.set(id, (this.inspects.get(id) ?? 0) + 1);
    if (this.failing.has(id)) throw new DockerApiError(500, `/containers/${id}/json`, "boom");
    return super.inspect(id);
  }
}

const names = async (reg: MemoryRegistry) => (await reg.listOwned("h1")).map((x) => x.name).sort();

const cases: Array<{ case: string; opts: Partial<RegistratorOptions> }> = [
  { case: "retried for ever", opts: { retryAttempts: -1 } },
  { case: "retried 3 times", opts: { retryAttempts: 3 } },
];

describe("a container whose inspect fails for ever", () => {
  cases.forEach((c, i) => {
    it(`${i}_${c.case}: holds neither start, nor the resync, nor the others`, async () => {
      const clock = new FakeClock();
      const d = new FailingInspect();
      for (const n of ["bad", "small", "b", "c", "e"]) d.containers.set(n, container(n, n));
      d.failing.add("bad");
      const reg = new MemoryRegistry();
      const events: RegistratorEvent[] = [];
      const r = new Registrator(d, reg, { ...LOOP_OPTS, concurrency: 1, ...c.opts }, (e) => events.push(e), clock);
      await clock.untilSettled("start", r.start(), 2_000);
      expect(await names(reg)).toEqual(["b", "c", "e", "small"]);
      // A container started without its event reaching us: the next resync registers it.
      d.containers.set("late", container("late", "late"));
      await clock.untilSettled("resync", r.resync(), 2_000);
      expect(await names(reg)).toContain("late");
      // The failing one is retried on its own (no event, no resync), and registers once dockerd answers.
      const tries = d.inspects.get("bad")!;
      if (c.opts.retryAttempts === -1) {
        await clock.until("inspect retried on its own", () => d.inspects.get("bad")! > tries + 2, 2_000);
        d.failing.delete("bad");
        await clock.until("bad registered", async () => (await names(reg)).includes("bad"), 2_000);
      }
      expect(events.some((e) => e.type === "docker-error")).toBe(true);
      await clock.untilSettled("stop", r.stop({ deregisterAll: false }));
    });
  });

  it("2_keeps what it registered while its inspect fails, even when its container is stopped elsewhere", async () => {
    const clock = new FakeClock();
    const d = new FailingInspect();
    d.containers.set("x", container("x", "x"));
    d.containers.set("gone", container("gone", "gone"));
    const reg = new MemoryRegistry();
    const r = new Registrator(d, reg, { ...LOOP_OPTS, cleanup: true }, () => {}, clock);
    await clock.untilSettled("start", r.start());
    expect(await names(reg)).toEqual(["gone", "x"]);
    d.failing.add("x");
    d.containers.delete("gone");
    await clock.untilSettled("resync", r.resync(), 2_000);
    await clock.untilSettled("the jobs", r.idle());
    expect(await names(reg)).toEqual(["x"]);
    await clock.untilSettled("stop", r.stop({ deregisterAll: false }));
  });
});
