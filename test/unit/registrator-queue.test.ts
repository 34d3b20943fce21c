// The keyed queue on a fake clock: jobs take fake time, the test moves it.
import { describe, expect, it } from "vitest";
import { KeyedQueue } from "../../src/registrator/queue.js";
import { FakeClock, settle } from "../support/fake-clock.js";

describe("KeyedQueue", () => {
  it("0_one key runs serially and coalesces pushes while running", async () => {
    const clock = new FakeClock();
    const log: string[] = [];
    let active = 0;
    const q = new KeyedQueue(async (k) => {
      active++;
      expect(active).toBe(1);
      log.push(`start:${k}`);
      await clock.sleep(10);
      log.push(`end:${k}`);
      active--;
    }, 4);
    q.push("a");
    await clock.advance(1);
    expect(log).toEqual(["start:a"]);
    q.push("a");
    q.push("a");
    q.push("a");
    await clock.untilSettled("idle", q.idle(), 10_000, 1);
    expect(log).toEqual(["start:a", "end:a", "start:a", "end:a"]);
  });

  it("1_different keys run concurrently up to the bound", async () => {
    const clock = new FakeClock();
    let active = 0;
    let peak = 0;
    const q = new KeyedQueue(async () => {
      active++;
      peak = Math.max(peak, active);
      await clock.sleep(5);
      active--;
    }, 3);
    for (let i = 0; i < 20; i++) q.push(`k${i}`);
    await clock.untilSettled("idle", q.idle(), 10_000, 1);
    expect(peak).toBe(3);
  });

  it("2_a yielding job goes to the back; its push resolves only when its work is done", async () => {
    const clock = new FakeClock();
    const log: string[] = [];
    let slices = 3;
    const q = new KeyedQueue(async (k) => {
      log.push(k);
      await clock.sleep(1);
      return k === "big" && --slices > 0 ? "yield" : "done";
    }, 1);
    let bigDone = false;
    const big = q.push("big").then(() => (bigDone = true));
    const small = q.push("small");
    await clock.untilSettled("small", small, 10_000, 1);
    expect(bigDone).toBe(false);
    await clock.untilSettled("big", big, 10_000, 1);
    expect(log).toEqual(["big", "small", "big", "big"]);
  });

  it("3_a push while the key runs waits for the next run", async () => {
    const runs: number[] = [];
    let n = 0;
    let release: () => void = () => {};
    const q = new KeyedQueue(async () => {
      const me = ++n;
      if (me === 1) await new Promise<void>((r) => (release = r));
      runs.push(me);
    }, 2);
    const first = q.push("a");
    await settle();
    expect(n).toBe(1);
    let secondDone = false;
    const second = q.push("a").then(() => (secondDone = true));
    release();
    await first;
    expect(secondDone).toBe(false);
    await second;
    expect(runs).toEqual([1, 2]);
  });

  it("4_a throwing job does not stop the queue", async () => {
    const done: string[] = [];
    const q = new KeyedQueue(async (k) => {
      if (k === "bad") throw new Error("boom");
      done.push(k);
    }, 1);
    q.push("bad");
    q.push("good");
    await q.idle();
    expect(done).toEqual(["good"]);
  });
});
