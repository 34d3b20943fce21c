// The registrator's stop signal is handed to every Docker request and every timer at once: with more of them in
// flight than Node's default of 10 listeners per signal, Node printed a MaxListenersExceededWarning on stderr, a
// line that is no JSON log line (a log reader taking stderr for JSON lines stopped on it).
import { afterEach, describe, expect, it } from "vitest";
import { MemoryRegistry } from "../../adapters/memory/index.js";
import { Registrator } from "../../src/registrator/registrator.js";
import { until } from "../support/until.js";
import { container, FakeDocker } from "./fixtures/fake-docker.js";
import { LOOP_OPTS } from "./fixtures/registrator-options.js";

/** Holds every inspect until released, listening on the request's signal as node:http does. */
class HeldDocker extends FakeDocker {
  held = 0;
  private release: Array<() => void> = [];
  override async inspect(id: string, signal?: AbortSignal) {
    const onAbort = () => {};
    signal?.addEventListener("abort", onAbort);
    this.held++;
    await new Promise<void>((r) => this.release.push(r));
    signal?.removeEventListener("abort", onAbort);
    return super.inspect(id);
  }
  releaseAll() {
    for (const r of this.release.splice(0)) r();
  }
}

const warnings: Error[] = [];
const onWarning = (w: Error) => warnings.push(w);
afterEach(() => {
  process.off("warning", onWarning);
});

describe("Registrator stop signal", () => {
  it("0_many Docker requests in flight at once print no listener warning", async () => {
    process.on("warning", onWarning);
    const d = new HeldDocker();
    for (let k = 0; k < 16; k++) d.containers.set(`c${k}`, container(`c${k}`, `svc${k}`));
    const reg = new MemoryRegistry();
    const r = new Registrator(d, reg, { ...LOOP_OPTS, concurrency: 16 });
    const started = r.start();
    await until("16 inspects in flight", () => d.held === 16, 3000, 5);
    d.releaseAll();
    await started;
    await new Promise((resolve) => setImmediate(resolve)); // warnings are emitted on the next tick
    expect((await reg.listOwned("h1")).length).toBe(16);
    expect(warnings.filter((w) => w.name === "MaxListenersExceededWarning")).toEqual([]);
    await r.stop({ deregisterAll: false });
  });
});
