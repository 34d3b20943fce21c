// Time as an injected effect: loops take a Clock so their tests run on a fake one (test/support/fake-clock.ts).
import { delay } from "./util.js";

export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Resolves after `ms`, or at once when `signal` aborts (never rejects). */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const REAL_CLOCK: Clock = { now: () => Date.now(), sleep: delay };

/** True when `p` settled (either way) within `ms` on `clock`, false when the time ran out first. Never rejects. */
export async function settlesWithin(clock: Clock, ms: number, p: Promise<unknown>): Promise<boolean> {
  const timer = new AbortController();
  try {
    return await Promise.race([p.then(() => true, () => true), clock.sleep(ms, timer.signal).then(() => false)]);
  } finally {
    timer.abort();
  }
}
