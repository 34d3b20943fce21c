// The registrator's stop signal is handed to every Docker request and every retry timer: with more of them pending
// than Node's default of 10 listeners per signal, Node printed a MaxListenersExceededWarning on stderr, a line that
// is no JSON log line (a log reader taking stderr for JSON lines stopped on it). Each sleep and request takes a
// signal of its own from the stop signal's one fanout (core/util.ts fanoutOf); the Docker client's requests are
// covered by test/integration/up-no-warnings.test.ts.
import { getEventListeners } from "node:events";
import { afterEach, describe, expect, it } from "vitest";
import { MemoryRegistry } from "../../adapters/memory/index.js";
import { Registrator } from "../../src/registrator/registrator.js";
import { until } from "../support/until.js";
import { container, FakeDocker } from "./fixtures/fake-docker.js";
import { LOOP_OPTS } from "./fixtures/registrator-options.js";

/** Refuses every inspect: each container's retry sleeps on the stop signal. */
class FailingDocker extends FakeDocker {
  failed = 0;
  override async inspect(): Promise<never> {
    this.failed++;
    throw new Error("engine busy");
  }
}

const warnings: Error[] = [];
const onWarning = (w: Error) => warnings.push(w);
afterEach(() => {
  process.off("warning", onWarning);
});

describe("Registrator stop signal", () => {
  it("0_16 retry timers pending at once put one listener on it and print no listener warning", async () => {
    process.on("warning", onWarning);
    const d = new FailingDocker();
    for (let k = 0; k < 16; k++) d.containers.set(`c${k}`, container(`c${k}`, `svc${k}`));
    const r = new Registrator(d, new MemoryRegistry(), { ...LOOP_OPTS, concurrency: 16, retryIntervalMs: 60_000 });
    void r.start().catch(() => {});
    await until("16 inspects failed", () => d.failed >= 16, 3000, 5);
    await new Promise((resolve) => setImmediate(resolve)); // warnings are emitted on the next tick
    expect(getEventListeners(r.signal, "abort").length).toBeLessThanOrEqual(2);
    expect(warnings.filter((w) => w.name === "MaxListenersExceededWarning")).toEqual([]);
    const t0 = Date.now();
    await r.stop({ deregisterAll: false });
    expect(Date.now() - t0).toBeLessThan(2_000);
  });
});
