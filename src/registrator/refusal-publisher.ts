// Publishes this host's refusals (the services its registrator refuses now) to the backend's RefusalStore, so any
// catalog shows them. One write per change of the set, after a short quiet time (a burst of containers is one
// write); nothing while it does not change; a failed write is retried with backoff until it succeeds or a newer
// set replaces it. What is published is the registrator's own refusal text (the log line's: no metadata values),
// bounded by hostRefusals().
import type { Clock } from "../core/clock.js";
import { BackendAuthError, errorText } from "../core/errors.js";
import type { Logger } from "../core/log.js";
import { encodeRefusals, hostRefusals, type Refusal, type RefusalStore } from "../core/refusals.js";
import { backoff } from "../core/util.js";
import type { Rejection } from "../docker/mapping.js";

/** Quiet time before a changed set is written. */
export const DEFAULT_PUBLISH_DELAY_MS = 500;

export interface RefusalPublisherOptions {
  store: RefusalStore;
  host: string;
  clock: Clock;
  log: Logger;
  delayMs?: number;
}

const identity = (r: Rejection) => `${r.container}\0${r.port ?? ""}\0${r.key}\0${r.reason}`;

export class RefusalPublisher {
  /** Identity -> since when it is refused (kept while it stays refused). */
  private since = new Map<string, string>();
  private wanted: Refusal[] = [];
  /** The text last written (undefined: nothing written by this process yet). */
  private written: string | undefined;
  private wake: (() => void) | undefined;
  /** The set changed since the loop last looked. */
  private dirty = false;
  private readonly abort = new AbortController();
  private loop: Promise<void> | undefined;
  /** Writes made (tests, the report of costs). */
  writes = 0;

  constructor(private readonly o: RefusalPublisherOptions) {}

  /** The registrator's current set ("refusals" event). */
  update(refusals: readonly Rejection[]): void {
    const at = new Date(this.o.clock.now()).toISOString();
    const since = new Map<string, string>();
    this.wanted = refusals.map((r) => {
      const id = identity(r);
      const s = this.since.get(id) ?? since.get(id) ?? at;
      since.set(id, s);
      return { container: r.container, ...(r.port !== undefined ? { port: r.port } : {}), key: r.key, reason: r.reason, since: s };
    });
    this.since = since;
    this.dirty = true;
    this.wake?.();
  }

  /**
   * Starts writing: the current set at once (an empty one removes what an earlier run of this host left, say after a
   * crash), then each change.
   */
  start(): void {
    this.loop ??= this.run();
  }

  /** Stops, and removes this host's document (its registrator no longer refuses anything), within `timeoutMs`. */
  async stop(timeoutMs: number): Promise<void> {
    this.abort.abort();
    this.wake?.();
    await this.loop;
    if (this.written === undefined || this.written === encodeRefusals(hostRefusals(this.o.host, []))) return;
    const done = this.o.store.publish(hostRefusals(this.o.host, [])).then(
      () => void this.writes++,
      (err: unknown) => this.o.log.warn({ err: errorText(err) }, "could not remove this host's refusals from the backend"),
    );
    const timer = new AbortController();
    await Promise.race([done, this.o.clock.sleep(timeoutMs, timer.signal)]);
    timer.abort();
  }

  private async run(): Promise<void> {
    const signal = this.abort.signal;
    let attempt = 0;
    while (!signal.aborted) {
      this.dirty = false;
      const doc = hostRefusals(this.o.host, this.wanted);
      const text = encodeRefusals(doc);
      if (text !== this.written) {
        try {
          await this.o.store.publish(doc);
          this.writes++;
          this.written = text;
          attempt = 0;
        } catch (err) {
          if (signal.aborted) return;
          if (err instanceof BackendAuthError) {
            // Not retried: the credentials will not change; the next change of the set tries again.
            this.o.log.warn({ err: errorText(err) }, "the backend refuses these credentials to publish this host's refusals: they are in this log only");
            await this.changed(signal);
            continue;
          }
          const retryInMs = backoff(attempt++);
          this.o.log.warn({ err: errorText(err), retryInMs }, "could not publish this host's refusals to the backend; retrying");
          await this.o.clock.sleep(retryInMs, signal);
          continue;
        }
      }
      await this.changed(signal);
      // A burst of changes is one write.
      if (!signal.aborted) await this.o.clock.sleep(this.o.delayMs ?? DEFAULT_PUBLISH_DELAY_MS, signal);
    }
  }

  private changed(signal: AbortSignal): Promise<void> {
    return new Promise<void>((resolve) => {
      if (signal.aborted || this.dirty) return resolve();
      this.wake = () => {
        this.wake = undefined;
        resolve();
      };
    });
  }
}

