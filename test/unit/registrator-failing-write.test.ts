// One container whose backend write keeps failing (a Consul ACL that denies just its service name, a ZooKeeper ACL
// on just its node: BackendAuthError; or a transient error for it alone) is retried on its own schedule. Before,
// the write was retried inside the container's job, for ever by default: the job held a queue slot, the resync
// waited on it for ever, and with as many such containers as slots nobody else was registered.
import { describe, expect, it } from "vitest";
import { MemoryRegistry } from "../../adapters/memory/index.js";
import { BackendAuthError, BackendUnavailableError } from "../../src/core/errors.js";
import type { Instance } from "../../src/core/model.js";
import { Registrator, type RegistratorOptions } from "../../src/registrator/registrator.js";
import { FakeClock } from "../support/fake-clock.js";
import { container, FakeDocker } from "./fixtures/fake-docker.js";
import { LOOP_OPTS } from "./fixtures/registrator-options.js";

class RefusingRegistry extends MemoryRegistry {
  refused = new Set<string>();
  attempts = new Map<string, number>();
  constructor(private readonly error: () => Error) {
    super();
  }
  override async register(instance: Instance): Promise<void> {
    this.attempts.set(instance.name, (this.attempts.get(instance.name) ?? 0) + 1);
    if (this.refused.has(instance.name)) throw this.error();
    return super.register(instance);
  }
}

const names = async (reg: MemoryRegistry) => (await reg.listOwned("h1")).map((x) => x.name).sort();

const cases: Array<{ case: string; error: () => Error; opts: Partial<RegistratorOptions> }> = [
  { case: "auth_error_retried_for_ever", error: () => new BackendAuthError({ backend: "consul", message: "permission denied" }), opts: { retryAttempts: -1 } },
  { case: "unavailable_retried_for_ever", error: () => new BackendUnavailableError({ backend: "zookeeper", message: "CONNECTION_LOSS" }), opts: { retryAttempts: -1 } },
  { case: "auth_error_retried_3_times", error: () => new BackendAuthError({ backend: "consul", message: "permission denied" }), opts: { retryAttempts: 3 } },
];

describe("containers whose writes keep failing", () => {
  cases.forEach((c, i) => {
    it(`${i}_${c.case}: hold neither start, nor the resync, nor the others`, async () => {
      const clock = new FakeClock();
      const d = new FakeDocker();
      for (const n of ["bad1", "bad2", "ok1", "ok2", "ok3"]) d.containers.set(n, container(n, n));
      const reg = new RefusingRegistry(c.error);
      reg.refused.add("bad1").add("bad2");
      // As many refused containers as queue slots: before, every slot was held.
      const r = new Registrator(d, reg, { ...LOOP_OPTS, concurrency: 2, ...c.opts }, () => {}, clock);
      await clock.untilSettled("start", r.start(), 2_000);
      expect(await names(reg)).toEqual(["ok1", "ok2", "ok3"]);
      d.containers.set("late", container("late", "late"));
      await clock.untilSettled("resync", r.resync(), 2_000);
      expect(await names(reg)).toContain("late");
      if (c.opts.retryAttempts === -1) {
        const tries = reg.attempts.get("bad1")!;
        await clock.until("bad1 retried on its own", () => reg.attempts.get("bad1")! > tries + 2, 2_000);
        reg.refused.clear();
        await clock.until("bad ones registered once allowed", async () => (await names(reg)).includes("bad1") && (await names(reg)).includes("bad2"), 2_000);
      }
      await clock.untilSettled("stop", r.stop({ deregisterAll: false }));
    });
  });
});

/** Applies each register and then answers with a failure, as a request that timed out after the backend applied it. */
class LandingRegistry extends MemoryRegistry {
  failing = true;
  override async register(instance: Instance): Promise<void> {
    await super.register(instance);
    if (this.failing) throw new BackendUnavailableError({ backend: "zookeeper", message: "no answer in time" });
  }
}

describe("a register write that failed but landed", () => {
  it("3_is removed when its container goes away before any write was confirmed", async () => {
    const clock = new FakeClock();
    const d = new FakeDocker();
    d.containers.set("a", container("a", "flaky"));
    const reg = new LandingRegistry();
    const r = new Registrator(d, reg, { ...LOOP_OPTS, retryAttempts: 1 }, () => {}, clock);
    await clock.untilSettled("start", r.start(), 2_000);
    expect(await names(reg)).toEqual(["flaky"]); // in the backend, though the write was answered as failed
    d.containers.delete("a");
    d.emit("a", "die", 2n);
    await clock.until("the entry is gone", async () => (await names(reg)).length === 0, 2_000);
    await clock.untilSettled("stop", r.stop({ deregisterAll: false }));
  });

  it("4_is removed by a resync when its container went away unseen (no --cleanup)", async () => {
    const clock = new FakeClock();
    const d = new FakeDocker();
    d.containers.set("a", container("a", "flaky"));
    const reg = new LandingRegistry();
    const r = new Registrator(d, reg, { ...LOOP_OPTS, retryAttempts: 1, cleanup: false }, () => {}, clock);
    await clock.untilSettled("start", r.start(), 2_000);
    expect(await names(reg)).toEqual(["flaky"]);
    d.containers.delete("a"); // no event: missed while Docker was unreachable
    reg.failing = false;
    await clock.untilSettled("resync", r.resync(), 2_000);
    await clock.until("the entry is gone", async () => (await names(reg)).length === 0, 2_000);
    await clock.untilSettled("stop", r.stop({ deregisterAll: false }));
  });
});
