// When the backend comes back, every write waiting to retry goes at once.
//
// A failed write is retried with backoff up to 30 s between attempts (writer.ts), so a host cut off from its backend
// for a minute caught up only at its next attempt, up to 30 s after the backend answered again. Now, while a backend
// write is failing, the registry's probe (Registry.ping: Consul's /v1/status/leader, ZooKeeper's connection state)
// runs every PROBE_MS; once it has failed (unreachable, no leader), the first probe that answers or write that goes
// through ends every backend retry's sleep at once. A backend that answers the probe while writes fail (overloaded,
// refusing one entry) wakes nothing: the backoff stands. The writes that then go are bounded by the registrator's
// concurrency as before; with no write failing, nothing is probed.
import type { Clock } from "../core/clock.js";
import { fanoutOf } from "../core/util.js";

/** How often the backend is probed while a write is failing (the catalog's probe while down runs as often). */
export const PROBE_MS = 2000;

export interface RecoveryOptions {
  /** The registry's reachability probe; absent for in-process backends (never down: nothing to wake). */
  ping?: (signal: AbortSignal) => Promise<void>;
  clock: Clock;
  /** The registrator's stop. */
  signal: AbortSignal;
}

export class BackendRecovery {
  /** Aborted when the backend is seen back (or the registrator stops); replaced by a fresh one then. */
  private episode!: AbortController;
  private unlink: () => void = () => {};
  private failing = false;
  private probing = false;
  /** The probe failed since the last wake: the backend was unreachable, not only refusing writes. */
  private down = false;

  constructor(private readonly o: RecoveryOptions) {
    this.renew();
  }

  /** Sleeps `ms` on the clock, cut short when the backend is back or the registrator stops. Never rejects. */
  sleep(ms: number): Promise<void> {
    return this.o.clock.sleep(ms, this.episode.signal);
  }

  /** A backend write failed (not refused): probe until a write goes through. */
  failed(): void {
    this.failing = true;
    if (!this.probing && this.o.ping) void this.probe(this.o.ping);
  }

  /** A backend write went through: nothing to probe for any more; after an outage, the others go now too. */
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
