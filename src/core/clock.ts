// Time as an injected effect: loops take a Clock so their tests run on a fake one (test/support/fake-clock.ts).
import { delay } from "./util.js";

export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Resolves after `ms`, or at once when `signal` aborts (never rejects). */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const REAL_CLOCK: Clock = { now: () => Date.now(), sleep: delay };
