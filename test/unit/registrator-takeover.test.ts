// One SERVICE_ID on two containers of one host: when the holder goes, the waiting container takes the ID over
// only after the holder's deregister is written. Before, it was woken while the holder's job still ran, so its
// register could land first and the holder's late deregister delete it: nobody held the ID until a resync.
import { describe, expect, it } from "vitest";
import { MemoryRegistry } from "../../adapters/memory/index.js";
import type { InstanceRef } from "../../src/core/model.js";
import { Registrator } from "../../src/registrator/registrator.js";
import { FakeClock } from "../support/fake-clock.js";
import { env } from "./fixtures/container.js";
import { container, FakeDocker } from "./fixtures/fake-docker.js";
import { LOOP_OPTS } from "./fixtures/registrator-options.js";

/** A deregister that takes 150 ms of fake time. */
class SlowDeregister extends MemoryRegistry {
  constructor(private readonly clock: FakeClock) {
    super();
  }
  override async deregister(ref: InstanceRef & { owner: string }): Promise<void> {
    await this.clock.sleep(150);
    return super.deregister(ref);
  }
}

describe("ID takeover on one host", () => {
  it("0_the_waiting_container_takes_the_ID_after_the_holders_deregister", async () => {
    const clock = new FakeClock();
    const d = new FakeDocker();
    const labels = env({ SERVICE_NAME: "dup", SERVICE_ID: "dup-id" });
    d.containers.set("first", container("first", "first", labels));
    const reg = new SlowDeregister(clock);
    const r = new Registrator(d, reg, { ...LOOP_OPTS, concurrency: 4, resyncMs: 0 }, () => {}, clock);
    await clock.untilSettled("first reconcile", r.start());
    d.containers.set("second", container("second", "second", labels));
    d.emit("second", "start", 10n);
    await clock.untilSettled("second's job", r.idle());
    const holder = async () => (await reg.listOwned("h1")).find((i) => i.id === "dup-id")?.container?.name;
    expect(await holder()).toBe("first");
    d.containers.delete("first");
    d.emit("first", "die", 11n);
    await clock.until("second holds the ID", async () => (await holder()) === "second", 2_000, 1);
    await clock.untilSettled("the jobs", r.idle());
    await clock.advance(300); // past any late deregister
    expect(await holder()).toBe("second");
    await clock.untilSettled("stop", r.stop({ deregisterAll: false }));
  });
});
