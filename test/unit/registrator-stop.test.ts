// Registrator.stop ends every wait it started: a Docker request in flight is aborted (the port gets the stop's
// signal) and every backoff timer is cancelled, so nothing is left to hold the process after the stop. Before, the
// inspect and list requests got no signal: one in flight at the stop (a hung dockerd) kept its socket and its 30 s
// timeout referenced.
import { describe, expect, it } from "vitest";
import { MemoryRegistry } from "../../adapters/memory/index.js";
import { DockerApiError } from "../../src/docker/client.js";
import type { RegistratorEvent } from "../../src/registrator/events.js";
import { Registrator } from "../../src/registrator/registrator.js";
import { FakeClock, settle } from "../support/fake-clock.js";
import { container, FakeDocker } from "./fixtures/fake-docker.js";
import { LOOP_OPTS } from "./fixtures/registrator-options.js";

/** A Docker whose inspect of `hung` ids never answers until its request is aborted, and fails for `failing` ids. */
class SlowDocker extends FakeDocker {
  hung = new Set<string>();
  failing = new Set<string>();
  listHangs = false;
  inFlight = 0;
  signals: Array<AbortSignal | undefined> = [];

  private hang(signal: AbortSignal | undefined): Promise<never> {
    this.signals.push(signal);
    this.inFlight++;
    return new Promise((_, reject) =>
      signal?.addEventListener("abort", () => {
        this.inFlight--;
        reject(new Error("aborted"));
      }),
    );
  }
  override async listRunning(signal?: AbortSignal) {
    if (this.listHangs) return this.hang(signal);
    return super.listRunning();
  }
  override async inspect(id: string, signal?: AbortSignal) {
    if (this.hung.has(id)) return this.hang(signal);
    if (this.failing.has(id)) throw new DockerApiError(500, `/containers/${id}/json`, "boom");
    return super.inspect(id);
  }
}

const cases: Array<{ case: string; arrange: (d: SlowDocker) => void; opts?: object }> = [
  { case: "an inspect in flight (hung dockerd)", arrange: (d) => d.hung.add("c2") },
  { case: "a list in flight (resync)", arrange: (d) => (d.listHangs = true), opts: { resyncMs: 1_000 } },
  { case: "a container in backoff (inspect fails)", arrange: (d) => d.failing.add("c2") },
];

describe("Registrator.stop", () => {
  cases.forEach((c, i) => {
    it(`${i}_${c.case}: leaves no timer and no request behind, reports no error`, async () => {
      const clock = new FakeClock();
      const d = new SlowDocker();
      d.containers.set("c1", container("c1", "one"));
      const events: RegistratorEvent[] = [];
      const r = new Registrator(d, new MemoryRegistry(), { ...LOOP_OPTS, retryIntervalMs: 5_000, ...c.opts }, (e) => events.push(e), clock);
      const started = r.start();
      await clock.until("started", async () => (await Promise.race([started.then(() => true), settle().then(() => false)])));
      c.arrange(d);
      d.containers.set("c2", container("c2", "two"));
      d.emit("c2", "start", 1n);
      await clock.advance(1_500);
      const errorsBefore = events.filter((e) => e.type === "docker-error").length;
      const stopping = r.stop({ deregisterAll: false, timeoutMs: 10_000 });
      await settle();
      const done = await Promise.race([stopping.then(() => true), settle(20).then(() => false)]);
      expect(done, "stop settled without the fake clock moving").toBe(true);
      expect(d.inFlight, "Docker requests still in flight").toBe(0);
      expect(clock.pending, "fake timers still pending").toBe(0);
      expect(events.filter((e) => e.type === "docker-error").length, "an aborted request reported as a Docker error").toBe(errorsBefore);
      expect(events.at(-1)).toMatchObject({ type: "stopped", timedOut: false });
    });
  });
});

/** A backend that is down: its list never answers until the registry is closed, which fails it (a socket hang-up). */
class DeadBackend extends MemoryRegistry {
  private readonly closed: Array<(err: Error) => void> = [];
  override listOwned(): Promise<never> {
    return new Promise((_, reject) => this.closed.push(reject));
  }
  override async close(): Promise<void> {
    for (const fail of this.closed.splice(0)) fail(new Error("registry closed"));
  }
}

describe("Registrator.stop with a dead backend", () => {
  // The process closes the registry after the stop: the request that was still in flight then fails. It was
  // reported as "backend operation failed; retrying" after "shutdown done" (nothing retries it any more).
  it("0_a backend request failing after the stop (closed under it) is no event: 'stopped' stays the last one", async () => {
    const clock = new FakeClock();
    const d = new FakeDocker();
    d.containers.set("c1", container("c1", "one"));
    const registry = new DeadBackend();
    const events: RegistratorEvent[] = [];
    const r = new Registrator(d, registry, { ...LOOP_OPTS, retryIntervalMs: 5_000 }, (e) => events.push(e), clock);
    void r.start();
    await settle();
    await r.stop({ deregisterAll: false, timeoutMs: 10_000 });
    expect(events.at(-1)).toMatchObject({ type: "stopped" });
    await registry.close();
    await settle();
    expect(events.at(-1), `events after the stop: ${JSON.stringify(events.slice(events.findIndex((e) => e.type === "stopped") + 1).map((e) => e.type))}`).toMatchObject({ type: "stopped" });
    expect(clock.pending, "fake timers still pending").toBe(0);
  });
});
