// The end of a long-running command (src/cli/stopping.ts), on fake timers: the exit bound fires at the timeout itself
// (it was the timeout + 1 s) without holding the event loop, and a stop during start-up closes what started.
import { afterEach, describe, expect, it, vi } from "vitest";
import { createLogger } from "../../src/core/log.js";
import { exitAfter, startUnlessStopped } from "../../src/core/stopping.js";

const log = createLogger({ format: "json", level: "silent" });

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

describe("exitAfter", () => {
  it("0_exits 0 at the bound, not before, and its timer does not hold the process", () => {
    vi.useFakeTimers();
    const exit = vi.spyOn(process, "exit").mockImplementation((() => undefined) as never);
    const set = vi.spyOn(globalThis, "setTimeout");
    exitAfter(3_000, log);
    const timer = set.mock.results[0]!.value as NodeJS.Timeout;
    expect(timer.hasRef()).toBe(false);
    vi.advanceTimersByTime(2_999);
    expect(exit).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(exit).toHaveBeenCalledWith(0);
  });
});

describe("startUnlessStopped", () => {
  it("0_started first: its value, nothing closed", async () => {
    const close = vi.fn(async () => {});
    const v = await startUnlessStopped(Promise.resolve("up"), new Promise<NodeJS.Signals>(() => {}), close, log, { message: "early" });
    expect(v).toBe("up");
    expect(close).not.toHaveBeenCalled();
  });

  it("1_a signal first: undefined at once; what starts later is closed, the process bound armed", async () => {
    vi.useFakeTimers();
    const exit = vi.spyOn(process, "exit").mockImplementation((() => undefined) as never);
    let started!: (v: string) => void;
    const starting = new Promise<string>((r) => (started = r));
    const close = vi.fn(async () => {});
    const result = startUnlessStopped(starting, Promise.resolve("SIGTERM"), close, log, { message: "early", boundMs: 1_000 });
    await vi.advanceTimersByTimeAsync(10);
    started("late");
    expect(await result).toBeUndefined();
    expect(close).toHaveBeenCalledWith("late");
    expect(exit).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1_000);
    expect(exit).toHaveBeenCalledWith(0);
  });

  it("2_a start-up that fails before any signal rejects as it would", async () => {
    const failing = Promise.reject(new Error("bind EADDRINUSE"));
    await expect(startUnlessStopped(failing, new Promise<NodeJS.Signals>(() => {}), async () => {}, log, { message: "early" })).rejects.toThrow("EADDRINUSE");
  });
});
