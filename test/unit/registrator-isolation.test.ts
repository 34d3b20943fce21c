// Registrator isolation on a fake clock: no container's labels can stop, delay or take over another's
// registration (fairness, refusals, ID collisions, other owners' entries, bounded shutdown).
import { describe, expect, it } from "vitest";
import { MemoryRegistry } from "../../adapters/memory/index.js";
import { InstanceRejectedError } from "../../src/core/errors.js";
import type { Instance, InstanceRef } from "../../src/core/model.js";
import type { RegisterOptions } from "../../src/core/registry.js";
import type { ContainerInfo } from "../../src/docker/engine.js";
import type { RegistratorEvent } from "../../src/registrator/events.js";
import { Registrator, type RegistratorOptions } from "../../src/registrator/registrator.js";
import { FakeClock } from "../support/fake-clock.js";
import { env, fakeInspect, labels, ports } from "./fixtures/container.js";
import { container, FakeDocker } from "./fixtures/fake-docker.js";

const OPTS: RegistratorOptions = {
  owner: "h1",
  mapping: { hostname: "h1", internal: false, explicit: false, tags: [], maxServices: 10_000 },
  cleanup: false,
  deregister: "always",
  resyncMs: 0,
  retryAttempts: -1,
  retryIntervalMs: 5,
  concurrency: 1,
  sliceMs: 100,
};

/** A memory registry whose writes take `latencyMs` of fake time, and that refuses meta `bad` (as a backend limit). */
class SlowRegistry extends MemoryRegistry {
  registeredAt = new Map<string, number>();
  hang = new Set<string>();
  constructor(
    private readonly clock: FakeClock,
    private readonly latencyMs = 5,
  ) {
    super();
  }
  override validate(i: Instance) {
    super.validate(i);
    if (i.meta.bad !== undefined) throw new InstanceRejectedError({ backend: "slow", instanceId: i.id, key: "meta.bad", reason: "this backend refuses it" });
  }
  override async register(i: Instance) {
    await this.clock.sleep(this.latencyMs);
    await super.register(i);
    this.registeredAt.set(i.id, this.clock.now());
  }
  override async deregister(r: InstanceRef) {
    if (this.hang.has(r.id)) return new Promise<void>(() => {});
    await this.clock.sleep(this.latencyMs);
    return super.deregister(r);
  }
}

function big(id: string, name: string, n: number): ContainerInfo {
  const p = Object.fromEntries(Array.from({ length: n }, (_, i) => [`${10_000 + i}/tcp`, [["127.0.0.1", String(30_000 + i)]] as Array<[string, string]>]));
  return fakeInspect({ Id: id, Name: `/${name}` }, ports(p), env({ SERVICE_NAME: name })) as ContainerInfo;
}

async function started(r: Registrator, clock: FakeClock): Promise<void> {
  let done = false;
  void r.start().then(() => (done = true));
  await clock.until("first reconcile", () => done);
}

async function stopped(r: Registrator, clock: FakeClock, opts: { deregisterAll: boolean; timeoutMs?: number }) {
  let result: Awaited<ReturnType<Registrator["stop"]>> | undefined;
  void r.stop(opts).then((x) => (result = x));
  await clock.until("stop", () => result !== undefined, 120_000);
  return result!;
}

const rejections = (events: RegistratorEvent[]) => events.flatMap((e) => (e.type === "rejected" ? [e.rejection] : []));

describe("registrator isolation (fake clock)", () => {
  it("0_a small container started during a 2,000-port registration is registered within a slice", async () => {
    const clock = new FakeClock();
    const d = new FakeDocker();
    const reg = new SlowRegistry(clock);
    const r = new Registrator(d, reg, OPTS, () => {}, clock);
    await started(r, clock);
    d.containers.set("big", big("big", "big", 2_000));
    d.emit("big", "start", 1n);
    await clock.advance(50);
    const t0 = clock.now();
    d.containers.set("small", container("small", "small"));
    d.emit("small", "start", 2n);
    await clock.until("small registered", () => reg.registeredAt.has("h1:small:80"));
    const latency = reg.registeredAt.get("h1:small:80")! - t0;
    const bigSoFar = [...reg.registeredAt.keys()].filter((k) => k.startsWith("h1:big:")).length;
    // One slice of the big container at most (100 ms) plus the small one's own write; big is far from done.
    expect(latency).toBeLessThanOrEqual(150);
    expect(bigSoFar).toBeLessThan(2_000);
    await clock.until("big registered", () => [...reg.registeredAt.keys()].filter((k) => k.startsWith("h1:big:")).length === 2_000, 600_000, 100);
    await stopped(r, clock, { deregisterAll: false });
  });

  it("1_a resync does not wait on a big container before serving a small one", async () => {
    const clock = new FakeClock();
    const d = new FakeDocker();
    const reg = new SlowRegistry(clock);
    d.containers.set("big", big("big", "big", 1_000));
    d.containers.set("small", container("small", "small"));
    const r = new Registrator(d, reg, { ...OPTS, concurrency: 1 }, () => {}, clock);
    void r.start();
    await clock.until("small registered", () => reg.registeredAt.has("h1:small:80"), 10_000, 5);
    expect([...reg.registeredAt.keys()].filter((k) => k.startsWith("h1:big:")).length).toBeLessThan(1_000);
    await clock.until("big registered", () => reg.registeredAt.size === 1_001, 600_000, 100);
    await stopped(r, clock, { deregisterAll: false });
  });

  it("2_a service the backend refuses is logged once naming container, port and SERVICE_ key; never retried; others flow", async () => {
    const clock = new FakeClock();
    const d = new FakeDocker();
    const reg = new SlowRegistry(clock);
    const events: RegistratorEvent[] = [];
    d.containers.set("bad", container("bad", "bad", labels({ SERVICE_BAD: "x" })));
    d.containers.set("ok", container("ok", "ok"));
    const r = new Registrator(d, reg, OPTS, (e) => events.push(e), clock);
    await started(r, clock);
    for (let i = 0; i < 3; i++) {
      let done = false;
      void r.resync().then(() => (done = true));
      await clock.until("resync", () => done);
    }
    expect(rejections(events)).toEqual([{ container: "bad", port: "80/tcp", key: "SERVICE_BAD", reason: expect.stringContaining("refuses it") }]);
    expect(events.filter((e) => e.type === "backend-error")).toEqual([]);
    expect((await reg.listOwned("h1")).map((i) => i.id)).toEqual(["h1:ok:80"]);
    await stopped(r, clock, { deregisterAll: false });
  });

  it("3_two containers with one SERVICE_ID: the first keeps it, the second is refused once naming both, then takes over", async () => {
    const clock = new FakeClock();
    const d = new FakeDocker();
    const reg = new SlowRegistry(clock);
    const events: RegistratorEvent[] = [];
    d.containers.set("a", container("a", "first", labels({ SERVICE_ID: "shared" })));
    const r = new Registrator(d, reg, OPTS, (e) => events.push(e), clock);
    await started(r, clock);
    d.containers.set("b", fakeInspect(container("b", "second", labels({ SERVICE_ID: "shared" })), ports({ "80/tcp": [["127.0.0.1", "9090"]] })) as ContainerInfo);
    d.emit("b", "start", 1n);
    await clock.until("refusal", () => rejections(events).length === 1);
    let done = false;
    void r.resync().then(() => (done = true));
    await clock.until("resync", () => done);
    expect(rejections(events)).toEqual([{ container: "second", port: "80/tcp", key: "SERVICE_ID", reason: expect.stringContaining('"first"') }]);
    expect((await reg.listOwned("h1")).map((i) => [i.id, i.port])).toEqual([["shared", 8080]]);
    d.containers.get("a")!.State.Running = false;
    d.emit("a", "die", 2n);
    await clock.until("second takes over", async () => (await reg.listOwned("h1")).some((i) => i.port === 9090));
    await stopped(r, clock, { deregisterAll: false });
  });

  it("4_an ID another owner holds is never written, replaced or deleted", async () => {
    const clock = new FakeClock();
    const d = new FakeDocker();
    const reg = new SlowRegistry(clock);
    const victim: Instance = { id: "shared", name: "victim", address: "10.0.0.2", port: 80, protocol: "tcp", tags: [], meta: {}, checks: [], health: "passing", owner: "h2", container: { id: "v", name: "victim" } };
    void reg.register(victim);
    await clock.advance(10);
    const events: RegistratorEvent[] = [];
    d.containers.set("x", container("x", "attacker", labels({ SERVICE_ID: "shared" })));
    const r = new Registrator(d, reg, { ...OPTS, cleanup: true }, (e) => events.push(e), clock);
    await started(r, clock);
    expect(rejections(events)).toEqual([{ container: "attacker", port: "80/tcp", key: "SERVICE_ID", reason: expect.stringContaining('owner "h2"') }]);
    d.containers.delete("x");
    d.emit("x", "destroy", 3n);
    await clock.advance(1_000);
    expect(await reg.listOwned("h2")).toEqual([victim]);
    await stopped(r, clock, { deregisterAll: true });
    expect(await reg.listOwned("h2")).toEqual([victim]);
  });

  it("5_shutdown is bounded: what cannot be removed in time is reported as left", async () => {
    const clock = new FakeClock();
    const d = new FakeDocker();
    const reg = new SlowRegistry(clock);
    for (const n of ["a", "b", "c"]) d.containers.set(n, container(n, n));
    const events: RegistratorEvent[] = [];
    const r = new Registrator(d, reg, OPTS, (e) => events.push(e), clock);
    await started(r, clock);
    reg.hang.add("h1:b:80");
    const t0 = clock.now();
    const result = await stopped(r, clock, { deregisterAll: true, timeoutMs: 2_000 });
    expect(clock.now() - t0).toBeLessThanOrEqual(2_010);
    expect(result).toEqual({ deregistered: 2, left: ["h1:b:80"] });
    expect(events.at(-1)).toEqual({ type: "stopped", deregistered: 2, left: ["h1:b:80"], timedOut: true });
  });

  it("6_a container over --max-services registers its first ports and is refused once for the rest", async () => {
    const clock = new FakeClock();
    const d = new FakeDocker();
    const reg = new SlowRegistry(clock);
    const events: RegistratorEvent[] = [];
    d.containers.set("big", big("big", "big", 50));
    d.containers.set("ok", container("ok", "ok"));
    const r = new Registrator(d, reg, { ...OPTS, mapping: { ...OPTS.mapping, maxServices: 10 } }, (e) => events.push(e), clock);
    await started(r, clock);
    expect(rejections(events).map((x) => x.key)).toEqual(["--max-services"]);
    expect((await reg.listOwned("h1")).length).toBe(11);
    await stopped(r, clock, { deregisterAll: false });
  });

  it("7_an entry the backend refuses to remove is reported and blocks nothing", async () => {
    const clock = new FakeClock();
    const d = new FakeDocker();
    const reg = new (class extends SlowRegistry {
      override async deregister(r: InstanceRef) {
        if (r.id === "h1:gone:80") throw new InstanceRejectedError({ backend: "slow", instanceId: r.id, key: "id", reason: "cannot address it" });
        return super.deregister(r);
      }
    })(clock);
    void reg.register({ id: "h1:gone:80", name: "gone", address: "10.0.0.9", port: 80, protocol: "tcp", tags: [], meta: {}, checks: [], health: "passing", owner: "h1" });
    await clock.advance(10);
    d.containers.set("ok", container("ok", "ok"));
    const events: RegistratorEvent[] = [];
    const r = new Registrator(d, reg, { ...OPTS, cleanup: true }, (e) => events.push(e), clock);
    await started(r, clock);
    expect((await reg.listOwned("h1")).map((i) => i.id).sort()).toEqual(["h1:gone:80", "h1:ok:80"]);
    expect(events.filter((e) => e.type === "backend-error").map((e) => e.type === "backend-error" && e.id)).toEqual(["h1:gone:80"]);
    await stopped(r, clock, { deregisterAll: false });
  });

  it("8_only an ID the mapping computed itself is written as a default ID; no SERVICE_ID is, whatever it looks like", async () => {
    const clock = new FakeClock();
    const d = new FakeDocker();
    const said = new Map<string, boolean | undefined>();
    const reg = new (class extends SlowRegistry {
      override async register(i: Instance, opts?: RegisterOptions) {
        said.set(i.id, opts?.defaultId);
        await super.register(i);
      }
    })(clock);
    d.containers.set("a", container("a", "web"));
    // Another container's default ID on this host, and an ID without the separator: both chosen by a label.
    d.containers.set("b", container("b", "api", labels({ SERVICE_ID: "h1:db:80" })));
    d.containers.set("c", container("c", "cache", labels({ SERVICE_ID: "redis-1" })));
    // Another host's default form never reaches the backend (refused by the mapping).
    d.containers.set("e", container("e", "evil", labels({ SERVICE_ID: "h2:web:80" })));
    const events: RegistratorEvent[] = [];
    const r = new Registrator(d, reg, OPTS, (e) => events.push(e), clock);
    await started(r, clock);
    expect(Object.fromEntries(said)).toEqual({ "h1:web:80": true, "h1:db:80": false, "redis-1": false });
    expect(rejections(events).map((x) => `${x.container} ${x.key}`)).toEqual(["evil SERVICE_ID"]);
    await stopped(r, clock, { deregisterAll: false });
  });
});
