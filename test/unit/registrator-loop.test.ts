// The reconcile loop with fakes: a scripted Docker, the memory registry, a flaky wrapper.
import { describe, expect, it } from "vitest";
import { MemoryRegistry } from "../../adapters/memory/index.js";
import type { Health, Instance, InstanceRef } from "../../src/core/model.js";
import { delay } from "../../src/core/util.js";
import type { ContainerInfo, DockerEvent, DockerPort } from "../../src/docker/engine.js";
import type { RegistratorEvent } from "../../src/registrator/events.js";
import { Registrator, type RegistratorOptions } from "../../src/registrator/registrator.js";
import { env, fakeInspect, ports } from "./fixtures/container.js";
import { until as waitUntil } from "../support/until.js";

/** A Docker whose containers and event stream the test controls. */
class FakeDocker implements DockerPort {
  containers = new Map<string, ContainerInfo>();
  connects = 0;
  sinces: Array<bigint | undefined> = [];
  private push: ((e: DockerEvent | null) => void) | undefined;
  failConnect = 0;

  async listRunning() {
    return [...this.containers.values()].filter((c) => c.State.Running).map((c) => c.Id);
  }
  async inspect(id: string) {
    return this.containers.get(id);
  }
  async events(since: bigint | undefined, signal: AbortSignal) {
    if (this.failConnect > 0) {
      this.failConnect--;
      throw new Error("connect ECONNREFUSED /var/run/docker.sock");
    }
    this.connects++;
    this.sinces.push(since);
    const queue: Array<DockerEvent | null> = [];
    let wake: (() => void) | undefined;
    this.push = (e) => {
      queue.push(e);
      wake?.();
    };
    signal.addEventListener("abort", () => this.push?.(null));
    return (async function* () {
      for (;;) {
        while (queue.length === 0) await new Promise<void>((r) => (wake = r));
        const e = queue.shift()!;
        if (e === null) return;
        yield e;
      }
    })();
  }
  emit(id: string, action: string, timeNano: bigint) {
    this.push!({ containerId: id, action, timeNano });
  }
  /** Ends the current stream, as dockerd does when it stops. */
  endStream() {
    this.push!(null);
  }
}

function container(id: string, name: string, over: object = {}): ContainerInfo {
  return fakeInspect({ Id: id, Name: `/${name}` }, ports({ "80/tcp": [["127.0.0.1", "8080"]] }), env({ SERVICE_NAME: name }), over) as ContainerInfo;
}

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

const OPTS: RegistratorOptions = {
  owner: "h1",
  mapping: { hostname: "h1", internal: false, explicit: false, tags: [] },
  cleanup: false,
  deregister: "always",
  resyncMs: 0,
  retryAttempts: -1,
  retryIntervalMs: 5,
  concurrency: 4,
};

const until = (cond: () => boolean | Promise<boolean>, ms = 3000) => waitUntil("the condition", cond, ms, 5);

describe("Registrator loop", () => {
  it("0_first reconcile registers running containers; events keep them true", async () => {
    const d = new FakeDocker();
    d.containers.set("a", container("a", "alpha"));
    const reg = new MemoryRegistry();
    const r = new Registrator(d, reg, OPTS);
    await r.start();
    expect((await reg.listOwned("h1")).map((i) => i.name)).toEqual(["alpha"]);
    d.containers.set("b", container("b", "beta"));
    d.emit("b", "start", 10n);
    await until(async () => (await reg.listOwned("h1")).length === 2);
    d.containers.get("a")!.State.Running = false;
    d.emit("a", "die", 11n);
    await until(async () => (await reg.listOwned("h1")).map((i) => i.name).join() === "beta");
    await r.stop({ deregisterAll: false });
  });

  it("1_stream end: reconnects with backoff, resumes from the last event time, resyncs", async () => {
    const d = new FakeDocker();
    const reg = new MemoryRegistry();
    const events: RegistratorEvent[] = [];
    const r = new Registrator(d, reg, OPTS, (e) => events.push(e));
    await r.start();
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
    await r.stop({ deregisterAll: false });
  });

  it("2_backend down: writes retried with backoff until it returns", async () => {
    const d = new FakeDocker();
    d.containers.set("a", container("a", "alpha"));
    const reg = new FlakyRegistry();
    reg.down = true;
    const events: RegistratorEvent[] = [];
    const r = new Registrator(d, reg, OPTS, (e) => events.push(e));
    const started = r.start();
    await until(() => events.filter((e) => e.type === "backend-error").length >= 3);
    reg.down = false;
    await started;
    expect((await reg.listOwned("h1")).map((i) => i.name)).toEqual(["alpha"]);
    await r.stop({ deregisterAll: false });
  });

  it("3_TTL checks are heartbeated at half their TTL", async () => {
    const d = new FakeDocker();
    d.containers.set("a", container("a", "alpha", env({ SERVICE_NAME: "alpha", SERVICE_CHECK_TTL: "1s" })));
    const beats: string[] = [];
    const reg = new (class extends MemoryRegistry {
      override async setHealth(r: InstanceRef, s: Health, o: string) {
        beats.push(`${r.id}:${s}`);
        return super.setHealth(r, s, o);
      }
    })();
    const r = new Registrator(d, reg, OPTS);
    await r.start();
    await delay(3_300);
    await r.stop({ deregisterAll: false });
    // One beat per loop tick (1 s) at most, each due after 500 ms: about three in 3.3 s (two under heavy load).
    expect(beats.length).toBeGreaterThanOrEqual(2);
    expect(beats.length).toBeLessThanOrEqual(4);
    expect(new Set(beats)).toEqual(new Set(["h1:alpha:80:passing"]));
  });

  it("4_--deregister-on-exit removes everything this owner holds", async () => {
    const d = new FakeDocker();
    d.containers.set("a", container("a", "alpha"));
    d.containers.set("b", container("b", "beta"));
    const reg = new MemoryRegistry();
    const r = new Registrator(d, reg, OPTS);
    await r.start();
    expect(await reg.listOwned("h1")).toHaveLength(2);
    await r.stop({ deregisterAll: true });
    expect(await reg.listOwned("h1")).toEqual([]);
  });

  it("5_a rejected service is reported once, not on every resync", async () => {
    const d = new FakeDocker();
    d.containers.set("a", container("a", "alpha", env({ SERVICE_NAME: "bad_name!" })));
    const events: RegistratorEvent[] = [];
    const r = new Registrator(d, new MemoryRegistry(), OPTS, (e) => events.push(e));
    await r.start();
    await r.resync();
    await r.resync();
    expect(events.filter((e) => e.type === "rejected").map((e) => e.type === "rejected" && e.rejection.key)).toEqual(["SERVICE_NAME"]);
    await r.stop({ deregisterAll: false });
  });
});
