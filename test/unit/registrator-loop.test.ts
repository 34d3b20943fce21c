// The reconcile loop with fakes: a scripted Docker, the memory registry, a flaky wrapper.
import { describe, expect, it } from "vitest";
import { MemoryRegistry } from "../../adapters/memory/index.js";
import type { Health, Instance, InstanceRef } from "../../src/core/model.js";
import type { RegistratorEvent } from "../../src/registrator/events.js";
import { Registrator, type RegistratorOptions } from "../../src/registrator/registrator.js";
import { env } from "./fixtures/container.js";
import { container, FakeDocker } from "./fixtures/fake-docker.js";
import { LOOP_OPTS } from "./fixtures/registrator-options.js";
import { FakeClock } from "../support/fake-clock.js";

/** Fails every write while `down` is true. */
class FlakyRegistry extends MemoryRegistry {
  down = false;
  override async register(i: Instance) {
    if (this.down) throw new Error("backend down");
    return super.register(i);
  }
  override async setHealth(r: InstanceRef, s: Health, o: string) {
    if (this.down) throw new Error("backend down");
    return super.setHealth(r, s, o);
  }
}

const OPTS: RegistratorOptions = LOOP_OPTS;

/** A registrator on a fake clock, with helpers that move the clock until a condition holds or a promise settles. */
function loop(d: FakeDocker, reg: MemoryRegistry, emit: (e: RegistratorEvent) => void = () => {}) {
  const clock = new FakeClock();
  const r = new Registrator(d, reg, OPTS, emit, clock);
  const until = (cond: () => boolean | Promise<boolean>) => clock.until("the condition", cond, 3000, 5);
  const settled = <T>(what: string, p: Promise<T>) => clock.untilSettled(what, p, 3000, 5);
  return { r, until, settled };
}

describe("Registrator loop", () => {
  it("0_first reconcile registers running containers; events keep them true", async () => {
    const d = new FakeDocker();
    d.containers.set("a", container("a", "alpha"));
    const reg = new MemoryRegistry();
    const { r, until, settled } = loop(d, reg);
    await settled("start", r.start());
    expect((await reg.listOwned("h1")).map((i) => i.name)).toEqual(["alpha"]);
    d.containers.set("b", container("b", "beta"));
    d.emit("b", "start", 10n);
    await until(async () => (await reg.listOwned("h1")).length === 2);
    d.containers.get("a")!.State.Running = false;
    d.emit("a", "die", 11n);
    await until(async () => (await reg.listOwned("h1")).map((i) => i.name).join() === "beta");
    await settled("stop", r.stop({ deregisterAll: false }));
  });

  it("1_stream end: reconnects with backoff, resumes from the last event time, resyncs", async () => {
    const d = new FakeDocker();
    const reg = new MemoryRegistry();
    const events: RegistratorEvent[] = [];
    const { r, until, settled } = loop(d, reg, (e) => events.push(e));
    await settled("start", r.start());
    d.containers.set("a", container("a", "alpha"));
    d.emit("a", "start", 42n);
    await until(async () => (await reg.listOwned("h1")).length === 1);
    // While disconnected, the container goes away and the first reconnect attempt fails.
    d.failConnect = 1;
    d.containers.delete("a");
    d.endStream();
    await until(() => d.connects === 2);
    expect(d.sinces).toEqual([undefined, 42n]);
    await until(async () => (await reg.listOwned("h1")).length === 0);
    expect(events.filter((e) => e.type === "docker-error").length).toBeGreaterThanOrEqual(2);
    await settled("stop", r.stop({ deregisterAll: false }));
  });

  it("2_backend down: writes retried with backoff until it returns", async () => {
    const d = new FakeDocker();
    d.containers.set("a", container("a", "alpha"));
    const reg = new FlakyRegistry();
    reg.down = true;
    const events: RegistratorEvent[] = [];
    const { r, until, settled } = loop(d, reg, (e) => events.push(e));
    const started = r.start();
    await until(() => events.filter((e) => e.type === "backend-error").length >= 3);
    reg.down = false;
    await settled("start", started); // the first reconcile does not wait for the backend: the container's own timer retries it
    await until(async () => (await reg.listOwned("h1")).length > 0);
    expect((await reg.listOwned("h1")).map((i) => i.name)).toEqual(["alpha"]);
    await settled("stop", r.stop({ deregisterAll: false }));
  });

  it("3_TTL checks are heartbeated at half their TTL, even the minimum 1 s TTL (fake clock)", async () => {
    const d = new FakeDocker();
    d.containers.set("a", container("a", "alpha", env({ SERVICE_NAME: "alpha", SERVICE_CHECK_TTL: "1s" })));
    const beats: number[] = [];
    const clock = new FakeClock();
    const reg = new (class extends MemoryRegistry {
      override async setHealth(r: InstanceRef, s: Health, o: string) {
        beats.push(clock.now());
        return super.setHealth(r, s, o);
      }
    })();
    const r = new Registrator(d, reg, OPTS, () => {}, clock);
    const started = r.start();
    await clock.advance(0);
    const registeredAt = clock.now();
    await started;
    // Registered at registeredAt; then a beat every 500 ms (half the TTL): never a gap as long as the TTL.
    await clock.advance(3_300);
    const gaps = [registeredAt, ...beats].slice(1).map((t, i) => t - [registeredAt, ...beats][i]!);
    expect(gaps).toEqual([500, 500, 500, 500, 500, 500]);
    const stopping = r.stop({ deregisterAll: false });
    await clock.advance(0);
    await stopping;
  });

  it("4_--deregister-on-exit removes everything this owner holds", async () => {
    const d = new FakeDocker();
    d.containers.set("a", container("a", "alpha"));
    d.containers.set("b", container("b", "beta"));
    const reg = new MemoryRegistry();
    const { r, settled } = loop(d, reg);
    await settled("start", r.start());
    expect(await reg.listOwned("h1")).toHaveLength(2);
    await settled("stop", r.stop({ deregisterAll: true }));
    expect(await reg.listOwned("h1")).toEqual([]);
  });

  it("5_a rejected service is reported once, not on every resync", async () => {
    const d = new FakeDocker();
    d.containers.set("a", container("a", "alpha", env({ SERVICE_NAME: "bad_name!" })));
    const events: RegistratorEvent[] = [];
    const { r, settled } = loop(d, new MemoryRegistry(), (e) => events.push(e));
    await settled("start", r.start());
    await settled("resync", r.resync());
    await settled("resync", r.resync());
    expect(events.filter((e) => e.type === "rejected").map((e) => e.type === "rejected" && e.rejection.key)).toEqual(["SERVICE_NAME"]);
    await settled("stop", r.stop({ deregisterAll: false }));
  });
});
