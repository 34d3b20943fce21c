// A Clock for loop tests: time moves only when the test says so; sleeps resolve in time order.
import type { Clock } from "../../src/core/clock.js";

interface Timer {
  at: number;
  resolve: () => void;
}

/** Lets every pending promise chain run (a few macrotask turns). */
export async function settle(turns = 5): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise((r) => setImmediate(r));
}

export class FakeClock implements Clock {
  private t = 1_700_000_000_000;
  private timers: Timer[] = [];

  now(): number {
    return this.t;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      if (signal?.aborted) return resolve();
      const onAbort = () => {
        this.timers = this.timers.filter((x) => x !== timer);
        resolve();
      };
      // As a real timer does, a sleep that ends lets go of its signal (a long-lived signal gathers no listeners).
      const timer: Timer = {
        at: this.t + Math.max(0, ms),
        resolve: () => {
          signal?.removeEventListener("abort", onAbort);
          resolve();
        },
      };
      this.timers.push(timer);
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  }

  /** Sleeps not yet due nor aborted: what would still hold a real process's event loop. */
  get pending(): number {
    return this.timers.length;
  }

  /** Moves time forward by `ms`, firing each due timer in order and letting its continuations run. */
  async advance(ms: number): Promise<void> {
    const end = this.t + ms;
    await settle();
    for (;;) {
      this.timers.sort((a, b) => a.at - b.at);
      const next = this.timers[0];
      if (!next || next.at > end) break;
      this.timers.shift();
      this.t = Math.max(this.t, next.at);
      next.resolve();
      await settle();
    }
    this.t = end;
    await settle();
  }

  /** Advances in `stepMs` steps until `cond` holds; throws naming `what` after `maxMs` of fake time. */
  async until(what: string, cond: () => boolean | Promise<boolean>, maxMs = 60_000, stepMs = 10): Promise<void> {
    const end = this.t + maxMs;
    while (!(await cond())) {
      if (this.t >= end) throw new Error(`fake clock: ${what} did not happen within ${maxMs} ms`);
      await this.advance(stepMs);
    }
  }

  /** Advances in `stepMs` steps until `p` settles, and returns what it gives; throws naming `what` after `maxMs`. */
  async untilSettled<T>(what: string, p: Promise<T>, maxMs = 60_000, stepMs = 10): Promise<T> {
    let done = false;
    p.then(
      () => (done = true),
      () => (done = true),
    );
    await this.until(what, () => done, maxMs, stepMs);
    return p;
  }
}
