// A keyed work queue: jobs for one key run one at a time and in order, with coalescing
// (a key marked dirty while its job runs is run once more afterwards); different keys run
// concurrently up to `concurrency`. The job always reads the latest state, so a burst of
// events for one container (die, start, die...) converges to what that container is now.
//
// Fairness: a job returns "yield" when it used up its time slice with work left; its key goes to the back of
// the queue, so one big container never holds a slot while others wait, and every other key gets a turn.

/** "done" (or nothing): the key's work is finished; "yield": more to do, run again after the keys now waiting. */
export type JobResult = "done" | "yield" | void;
export type KeyedJob = (key: string) => Promise<JobResult>;

export class KeyedQueue {
  private readonly pending: string[] = [];
  private readonly queued = new Set<string>();
  private readonly running = new Set<string>();
  private readonly dirty = new Set<string>();
  /** Callers of push() waiting for a run of that key that starts after their push and finishes its work. */
  private readonly waiters = new Map<string, Array<() => void>>();
  private idleWaiters: Array<() => void> = [];

  constructor(
    private readonly job: KeyedJob,
    private readonly concurrency: number,
  ) {
    if (!(concurrency >= 1)) throw new RangeError(`concurrency must be >= 1, got ${concurrency}`);
  }

  /** Schedule `key`; resolves once a run that started after this call has finished the key's work. */
  push(key: string): Promise<void> {
    const done = new Promise<void>((resolve) => {
      const list = this.waiters.get(key);
      if (list) list.push(resolve);
      else this.waiters.set(key, [resolve]);
    });
    if (this.running.has(key)) {
      this.dirty.add(key);
    } else if (!this.queued.has(key)) {
      this.enqueue(key);
      this.pump();
    }
    return done;
  }

  get size(): number {
    return this.pending.length + this.running.size;
  }

  /** Resolves when nothing is queued or running. */
  idle(): Promise<void> {
    if (this.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private enqueue(key: string): void {
    this.queued.add(key);
    this.pending.push(key);
  }

  private pump(): void {
    while (this.running.size < this.concurrency && this.pending.length > 0) {
      const key = this.pending.shift()!;
      this.queued.delete(key);
      this.running.add(key);
      void this.run(key);
    }
    if (this.size === 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of waiters) w();
    }
  }

  private async run(key: string): Promise<void> {
    // Waiters registered from now on wait for the next run (they pushed while this one may have read old state).
    const mine = this.waiters.get(key) ?? [];
    this.waiters.delete(key);
    let result: JobResult = "done";
    try {
      result = await this.job(key);
    } catch {
      // The job owns its error handling (logging, retry); a throw must not stop the queue.
    } finally {
      this.running.delete(key);
      if (result === "yield") {
        // Not finished: keep the waiters for the continuation, at the back of the queue.
        const later = this.waiters.get(key) ?? [];
        this.waiters.set(key, [...mine, ...later]);
        this.dirty.delete(key);
        this.enqueue(key);
      } else {
        for (const w of mine) w();
        if (this.dirty.delete(key)) this.enqueue(key);
      }
      this.pump();
    }
  }
}
