// A register request the registrator gave up on (it timed out) that the backend applies later, after a retry
// registered the entry and the container's removal deregistered it: the entry comes back with no container. The
// fleet bench saw it on Consul at 50 hosts x 200 containers (an agent applying a request minutes after its client
// gave up): one entry dangling for good. The resync now removes it, without --cleanup, on a fake clock.
import { describe, expect, it } from "vitest";
import { MemoryRegistry } from "../../adapters/memory/index.js";
import { BackendUnavailableError } from "../../src/core/errors.js";
import type { Instance } from "../../src/core/model.js";
import { LATE_WRITE_MS } from "../../src/registrator/entries.js";
import { Registrator } from "../../src/registrator/registrator.js";
import { FakeClock } from "../support/fake-clock.js";
import { container, FakeDocker } from "./fixtures/fake-docker.js";
import { LOOP_OPTS } from "./fixtures/registrator-options.js";

/** The first register of each ID times out for the caller but is applied `lateMs` later. */
class LateRegistry extends MemoryRegistry {
  private seen = new Set<string>();
  constructor(
    private readonly clock: FakeClock,
    private readonly lateMs: number,
  ) {
    super();
  }
  override async register(i: Instance) {
    if (!this.seen.has(i.id)) {
      this.seen.add(i.id);
      void this.clock.sleep(this.lateMs).then(() => super.register(i));
      throw new BackendUnavailableError({ backend: "late", message: `register "${i.id}": no answer within 10000 ms` });
    }
    return super.register(i);
  }
}

async function scenario(lateMs: number, resyncMs: number) {
  const clock = new FakeClock();
  const d = new FakeDocker();
  const reg = new LateRegistry(clock, lateMs);
  const r = new Registrator(d, reg, { ...LOOP_OPTS, resyncMs }, () => {}, clock);
  let ready = false;
  void r.start().then(() => (ready = true));
  await clock.until("first reconcile", () => ready);
  d.containers.set("c1", container("c1", "web"));
  d.emit("c1", "start", 1n);
  await clock.until("registered by the retry", async () => (await reg.listOwned("h1")).length === 1);
  d.containers.delete("c1");
  d.emit("c1", "die", 2n);
  await clock.until("deregistered", async () => (await reg.listOwned("h1")).length === 0);
  // The request given up on lands now: the entry is back, its container gone.
  await clock.advance(lateMs);
  const back = (await reg.listOwned("h1")).length;
  await clock.advance(2 * resyncMs);
  const after = (await reg.listOwned("h1")).map((i) => i.id);
  let stopped = false;
  void r.stop({ deregisterAll: false }).then(() => (stopped = true));
  await clock.until("stop", () => stopped);
  return { back, after };
}

describe("a register applied after its retry and its removal", () => {
  it("0_is_removed_by_the_next_resync_without_cleanup", async () => {
    expect(await scenario(60_000, 30_000)).toEqual({ back: 1, after: [] });
  });

  it("1_is_ours_for_LATE_WRITE_MS_only:_later_such_an_entry_is_left_to_--cleanup", async () => {
    expect(await scenario(LATE_WRITE_MS + 60_000, 30_000)).toEqual({ back: 1, after: ["h1:web:80"] });
  });
});
