import { getEventListeners } from "node:events";
import { describe, expect, it } from "vitest";
import { delay } from "../../src/core/util.js";

describe("delay on a shared stop signal", () => {
  it("puts one listener on the signal however many sleeps share it, and every sleep ends at its abort", async () => {
    const stop = new AbortController();
    const sleeps = Array.from({ length: 50 }, () => delay(60_000, stop.signal));
    expect(getEventListeners(stop.signal, "abort")).toHaveLength(1);
    const t0 = Date.now();
    stop.abort();
    await Promise.all(sleeps);
    expect(Date.now() - t0).toBeLessThan(1_000);
  });

  it("resolves at once on an aborted signal", async () => {
    const stop = new AbortController();
    stop.abort();
    const t0 = Date.now();
    await delay(60_000, stop.signal);
    expect(Date.now() - t0).toBeLessThan(1_000);
  });
});
