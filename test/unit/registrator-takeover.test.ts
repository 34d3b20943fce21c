// One SERVICE_ID on two containers of one host: when the holder goes, the waiting container takes the ID over
// only after the holder's deregister is written. Before, it was woken while the holder's job still ran, so its
// register could land first and the holder's late deregister delete it: nobody held the ID until a resync.
import { describe, expect, it } from "vitest";
import { MemoryRegistry } from "../../adapters/memory/index.js";
import type { InstanceRef } from "../../src/core/model.js";
import { Registrator } from "../../src/registrator/registrator.js";
import { until } from "../support/until.js";
import { env } from "./fixtures/container.js";
import { container, FakeDocker } from "./fixtures/fake-docker.js";
import { LOOP_OPTS } from "./fixtures/registrator-options.js";

class SlowDeregister extends MemoryRegistry {
  override async deregister(ref: InstanceRef & { owner: string }): Promise<void> {
    await new Promise((r) => setTimeout(r, 150));
    return super.deregister(ref);
  }
}

describe("ID takeover on one host", () => {
  it("0_the_waiting_container_takes_the_ID_after_the_holders_deregister", async () => {
    const d = new FakeDocker();
    const labels = env({ SERVICE_NAME: "dup", SERVICE_ID: "dup-id" });
    d.containers.set("first", container("first", "first", labels));
    const reg = new SlowDeregister();
    const r = new Registrator(d, reg, { ...LOOP_OPTS, concurrency: 4, resyncMs: 0 }, () => {});
    await r.start();
    d.containers.set("second", container("second", "second", labels));
    d.emit("second", "start", 10n);
    await r.idle();
    const holder = async () => (await reg.listOwned("h1")).find((i) => i.id === "dup-id")?.container?.name;
    expect(await holder()).toBe("first");
    d.containers.delete("first");
    d.emit("first", "die", 11n);
    await until("second holds the ID", async () => (await holder()) === "second", 2_000);
    await r.idle();
    await new Promise((res) => setTimeout(res, 300)); // past any late deregister
    expect(await holder()).toBe("second");
    await r.stop({ deregisterAll: false });
  });
});
