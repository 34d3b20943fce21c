// A resync compares Docker's list (taken first) with the backend's list of this host's entries (read after every
// running container was inspected, which takes a while with many containers or a slow backend). An entry that an
// event registered between the two reads belongs to a container younger than the Docker list: it is not an orphan.
// Found by bench:fleet on ZooKeeper, where listOwned takes a round trip per service: containers started during a
// resync were deregistered as "gone" while running, and came back only at the next resync (30 s later).
import { describe, expect, it } from "vitest";
import { MemoryRegistry } from "../../adapters/memory/index.js";
import type { Instance } from "../../src/core/model.js";
import { Registrator } from "../../src/registrator/registrator.js";
import { container, FakeDocker } from "./fixtures/fake-docker.js";
import { LOOP_OPTS } from "./fixtures/registrator-options.js";
import { FakeClock } from "../support/fake-clock.js";

/** listOwned waits for release() while held. */
class SlowListRegistry extends MemoryRegistry {
  private gate: Promise<void> | undefined;
  private open: (() => void) | undefined;
  listing = false;
  hold(): void {
    this.gate = new Promise((r) => (this.open = r));
  }
  release(): void {
    this.open?.();
    this.gate = undefined;
  }
  /** What it holds now, past the gate. */
  ownedNow(owner: string): Promise<Instance[]> {
    return super.listOwned(owner);
  }
  override async listOwned(owner: string): Promise<Instance[]> {
    this.listing = true;
    await this.gate;
    this.listing = false;
    return super.listOwned(owner);
  }
}

const names = async (reg: SlowListRegistry) => (await reg.ownedNow("h1")).map((i) => i.name).sort();

describe("Registrator resync race", () => {
  for (const [i, cleanup] of [false, true].entries()) {
    it(`${i}_entry_registered_while_the_resync_reads_the_backend_is_kept${cleanup ? "_with_cleanup" : ""}`, async () => {
      const clock = new FakeClock();
      const d = new FakeDocker();
      d.containers.set("a", container("a", "alpha"));
      const reg = new SlowListRegistry();
      const r = new Registrator(d, reg, { ...LOOP_OPTS, cleanup }, () => {}, clock);
      await clock.untilSettled("start", r.start());
      reg.hold();
      const resync = r.resync(); // lists Docker (only a), inspects, then waits on the backend's list
      await clock.until("the resync to read the backend", () => reg.listing, 3000, 5);
      d.containers.set("b", container("b", "beta"));
      d.emit("b", "start", 10n);
      await clock.until("beta to be registered", async () => (await names(reg)).includes("beta"), 3000, 5);
      reg.release();
      await clock.untilSettled("the resync", resync);
      await clock.untilSettled("the jobs", r.idle());
      expect(await names(reg)).toEqual(["alpha", "beta"]);
      await clock.untilSettled("stop", r.stop({ deregisterAll: false }));
    });
  }
});
