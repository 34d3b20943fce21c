// Tiny helpers shared across stages (no packages for these).
import { FlagError } from "./errors.js";

export function delay(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    // A signal of its own (one listener on `signal` however many sleeps share it: a storm's retries do).
    const own = signal && fanoutOf(signal).take();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      own?.release();
      resolve();
    }
    own?.signal.addEventListener("abort", done, { once: true });
  });
}

export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
  /** 0..1: fraction of each delay that is randomised ("equal jitter"). */
  jitter: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { initialMs: 200, maxMs: 15_000, jitter: 0.5 };

/** Delay before retry number `attempt` (0-based): exponential, capped, jittered. */
export function backoff(attempt: number, opts: BackoffOptions = DEFAULT_BACKOFF, random = Math.random): number {
  const base = Math.min(opts.maxMs, opts.initialMs * 2 ** Math.min(attempt, 30));
  return Math.round(base * (1 - opts.jitter) + base * opts.jitter * random());
}

/**
 * The longest duration any option accepts: 596h (about 24.8 days), just under the 2^31-1 ms a Node timer can
 * wait (a longer setTimeout fires after 1 ms).
 */
export const MAX_DURATION_MS = 596 * 3_600_000;
export const MAX_DURATION_TEXT = "596h";

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Parses Go-style durations used by registrator and Consul ("10s", "1m", "1.5s", "250ms", "1m30s"). Returns undefined if malformed. */
export function parseDuration(text: string): number | undefined {
  const s = text.trim();
  if (s === "") return undefined;
  let total = 0;
  let rest = s;
  while (rest.length > 0) {
    const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)/.exec(rest);
    if (!m) return undefined;
    total += Number(m[1]) * UNIT_MS[m[2]!]!;
    rest = rest.slice(m[0].length);
  }
  return Math.round(total);
}

/** How a duration flag reads its text. */
export interface DurationRule {
  /** What a bare number counts (1000: seconds, as registrator's flags); without it a bare number is refused. */
  bareUnitMs?: number;
  /** The shortest duration accepted (default 1 ms; 0 where zero means something, e.g. `--resync 0`). */
  minMs?: number;
}

/** A duration flag ("30s", "1m30s", "250ms"; a bare number as `rule` says) in ms, at most MAX_DURATION_MS. */
export function durationFlag(flag: string, text: string, rule: DurationRule = {}): number {
  const bare = /^\d+$/.test(text.trim());
  const ms = bare ? (rule.bareUnitMs === undefined ? undefined : Number(text) * rule.bareUnitMs) : parseDuration(text);
  const examples = rule.bareUnitMs === undefined ? "500ms, 30s, 1m30s" : "30, 30s, 1m30s";
  if (ms === undefined || !Number.isFinite(ms) || ms < 0) {
    throw new FlagError(flag, `not a duration: ${JSON.stringify(text)} (${bare ? "give a unit: " : "examples: "}${examples})`);
  }
  const minMs = rule.minMs ?? 1;
  if (ms < minMs) throw new FlagError(flag, `${JSON.stringify(text)} is below the minimum of ${minMs} ms`);
  if (ms > MAX_DURATION_MS) throw new FlagError(flag, `${JSON.stringify(text)} is longer than the maximum ${MAX_DURATION_TEXT}`);
  return ms;
}

/** An integer flag from `min` to `max`. */
export function intFlag(flag: string, text: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const n = /^-?\d+$/.test(text.trim()) ? Number(text) : NaN;
  if (!Number.isInteger(n) || n < min || n > max) throw new FlagError(flag, `expected an integer from ${min} to ${max}, got ${JSON.stringify(text)}`);
  return n;
}

/** `fn` over `items` with at most `limit` calls in flight; results in input order. */
export async function mapBounded<T, R>(items: readonly T[], limit: number, fn: (t: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  });
  await Promise.all(workers);
  return out;
}

/**
 * Gives each of many concurrent requests its own AbortSignal, all aborted with `parent` through one listener on it.
 * A transport (node:http) adds an abort listener to the signal it is given for as long as the request lives: with
 * every request of a loop on one shared signal, a dozen requests in flight put a dozen listeners on it (Node warns
 * past 10). Here `parent` carries one listener whatever the number of requests, and each request's signal is its own.
 */
export class AbortFanout {
  private readonly live = new Set<AbortController>();
  private readonly onAbort = () => {
    for (const c of this.live) c.abort();
  };

  constructor(private readonly parent: AbortSignal) {
    parent.addEventListener("abort", this.onAbort, { once: true });
  }

  /** Runs `fn` with a signal of its own, aborted when `parent` aborts; forgotten when `fn` settles. */
  async run<T>(fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const own = this.take();
    try {
      return await fn(own.signal);
    } finally {
      own.release();
    }
  }

  /** A signal of its own, aborted when `parent` aborts, until release() (for a request that outlives one call). */
  take(): { signal: AbortSignal; release: () => void } {
    const c = new AbortController();
    if (this.parent.aborted) c.abort();
    this.live.add(c);
    return { signal: c.signal, release: () => this.live.delete(c) };
  }

  /** Removes the listener from `parent` (call when the requests' owner ends). */
  dispose(): void {
    this.parent.removeEventListener("abort", this.onAbort);
    this.live.clear();
  }
}

const fanouts = new WeakMap<AbortSignal, AbortFanout>();

/**
 * The one fanout of `signal` (a process's stop signal, shared by its timers and requests): each sleep or request
 * takes a signal of its own from it, so `signal` carries one listener, not one per sleep or request in flight
 * (Node prints MaxListenersExceededWarning past 10).
 */
export function fanoutOf(signal: AbortSignal): AbortFanout {
  let f = fanouts.get(signal);
  if (!f) fanouts.set(signal, (f = new AbortFanout(signal)));
  return f;
}
