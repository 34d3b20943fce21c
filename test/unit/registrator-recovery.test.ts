// When the backend comes back, writes waiting to retry go at once (src/registrator/recovery.ts), on a fake clock:
// a host cut off long enough for its backoff to reach 30 s catches up within a probe or two of the backend's
// return, and a backend that answers the probe while refusing writes (overloaded) keeps the backoff.
import { describe, expect, it } from "vitest";
import { MemoryRegistry } from "../../adapters/memory/index.js";
import { BackendUnavailableError } from "../../src/core/errors.js";
import type { Instance } from "../../src/core/model.js";
import { BackendRecovery, PROBE_MS } from "../../src/core/recovery.js";
import { Registrator, type RegistratorOptions } from "../../src/registrator/registrator.js";
import { FakeClock } from "../support/fake-clock.js";
import { container, FakeDocker } from "./fixtures/fake-docker.js";
import { LOOP_OPTS } from "./fixtures/registrator-options.js";

// Retries from 1 s, doubling to 30 s: what a host cut off for 90 s waits without the wake.
const OPTS: RegistratorOptions = { ...LOOP_OPTS, retryIntervalMs: 1000 };

/** A registry whose writes fail while `cut`; its probe fails while `cut` too, unless `probeAnswers`. */
class CutRegistry extends MemoryRegistry {
  cut = false;
  probeAnswers = false;
  pings = 0;
  registeredAt = new Map<string, number>();
  constructor(private readonly clock: FakeClock) {
    super();
  }
  private check() {
    if (this.cut) throw new BackendUnavailableError({ backend: "cut", message: "no answer" });
  }
  override async register(i: Instance) {
    this.check();
    await super.register(i);
    this.registeredAt.set(i.id, this.clock.now());
  }
  async ping() {
    this.pings++;
    if (this.cut && !this.probeAnswers) throw new BackendUnavailableError({ backend: "cut", message: "no answer" });
  }
}

async function run(probeAnswers: boolean, cutMs: number) {
  const clock = new FakeClock();
  const d = new FakeDocker();
  const reg = new CutRegistry(clock);
  const r = new Registrator(d, reg, OPTS, () => {}, clock);
  let ready = false;
  void r.start().then(() => (ready = true));
  await clock.until("first reconcile", () => ready);
  reg.cut = true;
  reg.probeAnswers = probeAnswers;
  for (const n of ["a", "b", "c"]) {
    d.containers.set(n, container(n, n));
    d.emit(n, "start", 1n);
  }
  await clock.advance(cutMs);
  reg.cut = false;
  const back = clock.now();
  await clock.until("all registered", () => reg.registeredAt.size === 3, 120_000, 50);
  const lag = Math.max(...reg.registeredAt.values()) - back;
  let stopped = false;
  void r.stop({ deregisterAll: false }).then(() => (stopped = true));
  await clock.until("stop", () => stopped, 60_000);
  return { lag, pings: reg.pings };
}

describe("writes after the backend comes back", () => {
  it("0_a_host_cut_off_for_90_s_registers_everything_within_two_probes_of_the_backends_return", async () => {
    const { lag, pings } = await run(false, 90_000);
    expect(lag).toBeLessThanOrEqual(2 * PROBE_MS);
    // About one probe every PROBE_MS of the cut, not one per pending write.
    expect(pings).toBeLessThanOrEqual(90_000 / PROBE_MS + 3);
  });

  it("1_a_backend_that_answers_the_probe_while_refusing_writes_wakes_nothing:_the_backoff_stands", async () => {
    const { lag } = await run(true, 90_000);
    expect(lag).toBeGreaterThan(2 * PROBE_MS);
  });

  it("2_nothing_is_probed_while_no_write_fails_and_the_probe_ends_with_the_first_write_that_goes_through", async () => {
    const clock = new FakeClock();
    let pings = 0;
    let up = false;
    const ctl = new AbortController();
    const rec = new BackendRecovery({ ping: async () => {
        pings++;
        if (!up) throw new Error("down");
      },
      clock, signal: ctl.signal });
    await clock.advance(10 * PROBE_MS);
    expect(pings).toBe(0);
    rec.failed();
    let woke = false;
    void rec.sleep(30_000).then(() => (woke = true));
    await clock.advance(3 * PROBE_MS);
    expect([pings, woke]).toEqual([3, false]);
    up = true;
    await clock.advance(PROBE_MS);
    expect(woke).toBe(true);
    rec.succeeded();
    await clock.advance(10 * PROBE_MS);
    expect(pings).toBe(4);
    // A stop ends every sleep.
    let ended = false;
    void rec.sleep(60_000).then(() => (ended = true));
    ctl.abort();
    await clock.advance(0);
    expect(ended).toBe(true);
  });

  it("a sleep with the caller's own signal ends with it or with the backend's return; many such sleeps warn of nothing", async () => {
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(`${w.name}: ${w.message}`);
    process.on("warning", onWarning);
    try {
      const clock = new FakeClock();
      let up = false;
      const rec = new BackendRecovery({ ping: async () => {
          if (!up) throw new Error("down");
        },
        clock, signal: new AbortController().signal });
      // A watch's polls: each loop has its signal; 40 of them fail and sleep at once, as do 40 on one shared signal.
      const loop = new AbortController();
      const shared = new AbortController();
      let ownDone = false;
      let sharedDone = false;
      void Promise.all(Array.from({ length: 40 }, () => rec.sleep(60_000, loop.signal))).then(() => (ownDone = true));
      void Promise.all(Array.from({ length: 40 }, () => rec.sleep(60_000, shared.signal))).then(() => (sharedDone = true));
      loop.abort();
      await clock.advance(0);
      expect([ownDone, sharedDone]).toEqual([true, false]);
      rec.failed();
      await clock.advance(PROBE_MS); // one failed probe: down
      up = true;
      await clock.advance(PROBE_MS); // the next answers: every sleep ends
      expect(sharedDone).toBe(true);
      await new Promise((r) => setImmediate(r));
      expect(warnings).toEqual([]);
    } finally {
      process.off("warning", onWarning);
    }
  });
});
