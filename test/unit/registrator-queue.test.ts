import { describe, expect, it } from "vitest";
import { delay } from "../../src/core/util.js";
import { KeyedQueue } from "../../src/registrator/queue.js";

describe("KeyedQueue", () => {
  it("0_one key runs serially and coalesces pushes while running", async () => {
    const log: string[] = [];
    let active = 0;
    const q = new KeyedQueue(async (k) => {
      active++;
      expect(active).toBe(1);
      log.push(`start:${k}`);
      await delay(10);
      log.push(`end:${k}`);
      active--;
    }, 4);
    q.push("a");
    await delay(1);
    q.push("a");
    q.push("a");
    q.push("a");
    await q.idle();
    expect(log).toEqual(["start:a", "end:a", "start:a", "end:a"]);
  });

  it("1_different keys run concurrently up to the bound", async () => {
    let active = 0;
    let peak = 0;
    const q = new KeyedQueue(async () => {
      active++;
      peak = Math.max(peak, active);
      await delay(5);
      active--;
    }, 3);
    for (let i = 0; i < 20; i++) q.push(`k${i}`);
    await q.idle();
    expect(peak).toBe(3);
  });

  it("2_exclusive waits for running jobs and holds new ones back", async () => {
    const log: string[] = [];
    const q = new KeyedQueue(async (k) => {
      log.push(`start:${k}`);
      await delay(10);
      log.push(`end:${k}`);
    }, 2);
    q.push("a");
    await delay(1);
    const ex = q.exclusive(async () => {
      log.push("exclusive");
      q.push("b");
      await delay(10);
      log.push("exclusive-end");
    });
    await ex;
    await q.idle();
    expect(log).toEqual(["start:a", "end:a", "exclusive", "exclusive-end", "start:b", "end:b"]);
  });

  it("3_a throwing job does not stop the queue", async () => {
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
