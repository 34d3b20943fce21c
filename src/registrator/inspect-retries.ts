// A container whose `docker inspect` fails (dockerd answers 5xx for it, times out on it...), or whose backend write
// fails (an ACL that denies just its service name, an error for its entry alone), is retried on its own schedule:
// one attempt per look, then a timer of its own with backoff and jitter pushes it back onto the queue. Nothing
// waits on it: before, the resync retried the inspect (or the job the write) inline for ever, so one such
// container held every later resync and a queue slot, and as many of them as slots held everyone.
import type { Clock } from "../core/clock.js";
import type { Instance } from "../core/model.js";

export interface InspectRetryOptions {
  clock: Clock;
  signal: AbortSignal;
  /** Attempts before the container is left to the next resync or event; -1 = for ever. */
  attempts: number;
  delay: (attempt: number) => number;
  /** Runs the container's job again. */
  requeue: (containerId: string) => void;
  /** How a retry waits (default: the clock; backend writes: cut short when the backend is back, core/recovery.ts). */
  sleep?: (ms: number) => Promise<void>;
}

export class InspectRetries {
  /** Failed attempts in a row, by container id. */
  private readonly failures = new Map<string, number>();
  private readonly scheduled = new Set<string>();
  /** Last name seen for each container: tells which entries a container with a failing inspect still holds. */
  private readonly names = new Map<string, string>();

  constructor(private readonly o: InspectRetryOptions) {}

  /** The inspect answered (undefined name: the container is gone). */
  succeeded(containerId: string, name: string | undefined): void {
    this.failures.delete(containerId);
    if (name === undefined) this.names.delete(containerId);
    else this.names.set(containerId, name);
  }

  /** Failed attempts in a row so far (0: none). */
  attempt(containerId: string): number {
    return this.failures.get(containerId) ?? 0;
  }

  /** Its writes all went through: the next failure starts a fresh series. */
  cleared(containerId: string): void {
    this.failures.delete(containerId);
  }

  /** The inspect (or a write) failed: returns the attempt number (from 0) and schedules the next attempt unless given up. */
  failed(containerId: string): number {
    const attempt = this.failures.get(containerId) ?? 0;
    if (this.o.attempts >= 0 && attempt + 1 >= this.o.attempts) {
      // Given up: the next resync or event starts a fresh series.
      this.failures.delete(containerId);
      return attempt;
    }
    this.failures.set(containerId, attempt + 1);
    if (this.scheduled.has(containerId) || this.o.signal.aborted) return attempt;
    this.scheduled.add(containerId);
    const wait = this.o.delay(attempt);
    void (this.o.sleep ? this.o.sleep(wait) : this.o.clock.sleep(wait, this.o.signal)).then(() => {
      this.scheduled.delete(containerId);
      if (!this.o.signal.aborted) this.o.requeue(containerId);
    });
    return attempt;
  }

  /**
   * Might entry `i` belong to one of the `failed` containers (by its container id, else by the name part of its ID)?
   * A failed container never inspected by this process might hold any entry without a container id.
   */
  mayHold(i: Instance, failed: ReadonlySet<string>, owner: string): boolean {
    if (failed.size === 0) return false;
    if (i.container) return failed.has(i.container.id);
    return [...failed].some((f) => {
      const name = this.names.get(f);
      return name === undefined || i.id.startsWith(`${owner}:${name}:`);
    });
  }
}
