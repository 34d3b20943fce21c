// When the backend comes back, every retry waiting on it goes at once.
//
// A failed backend request is retried with backoff: the registrator's writes up to 30 s between attempts
// (registrator/writer.ts), a Consul watch's polls up to 15 s (adapters/consul/watch-loop.ts). So a host cut off from
// its backend for a minute caught up only at its next attempt, up to 30 s after the backend answered again. Now,
// while a request is failing, the registry's probe (Registry.ping: Consul's /v1/status/leader, ZooKeeper's
// connection state) runs every PROBE_MS; once it has failed (unreachable, no leader), the first probe that answers
// or request that goes through ends every retry's sleep at once. A backend that answers the probe while requests
// fail (overloaded, refusing one entry) wakes nothing: the backoff stands. With nothing failing, nothing is probed.
import type { Clock } from "./clock.js";
import { fanoutOf } from "./util.js";

/** How often the backend is probed while a write is failing (the catalog's probe while down runs as often). */
export const PROBE_MS = 2000;

export interface RecoveryOptions {
  /** The registry's reachability probe; absent for in-process backends (never down: nothing to wake). */
  ping?: (signal: AbortSignal) => Promise<void>;
  clock: Clock;
  /** The owner's stop (the registrator's, the watch's): no probe runs after it. */
  signal: AbortSignal;
}

export class BackendRecovery {
  /** Aborted when the backend is seen back (or the owner stops); replaced by a fresh one then. */
  private episode!: AbortController;
  private unlink: () => void = () => {};
  private failing = false;
  private probing = false;
  /** The probe failed since the last wake: the backend was unreachable, not only refusing writes. */
  private down = false;

  constructor(private readonly o: RecoveryOptions) {
    this.renew();
  }

  /** Sleeps `ms` on the clock, cut short when the backend is back, the owner stops or `signal` aborts. Never rejects. */
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (!signal) return this.o.clock.sleep(ms, this.episode.signal);
    // Each sleep listens through the fanouts of both signals: a watch's hundred failing polls put one listener on
    // each, not one per sleep (Node warns past 10).
    const either = new AbortController();
    const end = () => either.abort();
    const links = [this.episode.signal, signal].map((s) => {
      const own = fanoutOf(s).take();
      if (own.signal.aborted) either.abort();
      else own.signal.addEventListener("abort", end, { once: true });
      return own;
    });
    return this.o.clock.sleep(ms, either.signal).finally(() => {
      for (const own of links) own.release();
    });
  }

  /** A backend request failed (not refused): probe until one goes through. */
  failed(): void {
    this.failing = true;
    if (!this.probing && this.o.ping) void this.probe(this.o.ping);
  }

  /** A backend request went through: nothing to probe for any more; after an outage, the others go now too. */
  succeeded(): void {
    this.failing = false;
    if (this.down) this.back();
  }

  private back(): void {
    this.down = false;
    const ended = this.episode;
    this.renew();
    ended.abort();
  }

  private renew(): void {
    this.unlink();
    const c = new AbortController();
    this.episode = c;
    // Through the stop signal's fanout: it keeps the one listener on that signal (core/util.ts).
    const stop = fanoutOf(this.o.signal).take();
    const end = () => c.abort();
    if (stop.signal.aborted) c.abort();
    else stop.signal.addEventListener("abort", end, { once: true });
    this.unlink = () => {
      stop.signal.removeEventListener("abort", end);
      stop.release();
    };
  }

  private async probe(ping: (signal: AbortSignal) => Promise<void>): Promise<void> {
    const { clock, signal } = this.o;
    this.probing = true;
    try {
      while (this.failing && !signal.aborted) {
        await clock.sleep(PROBE_MS, signal);
        if (!this.failing || signal.aborted) break;
        const answered = await fanoutOf(signal).run(ping).then(
          () => true,
          () => false,
        );
        if (!answered) this.down = true;
        else if (this.down) this.back();
      }
    } finally {
      this.probing = false;
    }
  }
}
