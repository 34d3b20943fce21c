// A keyed work queue: jobs for one key run one at a time and in order, with coalescing
// (a key marked dirty while its job runs is run once more afterwards); different keys run
// concurrently up to `concurrency`. The job always reads the latest state, so a burst of
// events for one container (die, start, die...) converges to what that container is now.

export type KeyedJob = (key: string) => Promise<void>;

export class KeyedQueue {
  private readonly pending: string[] = [];
  private readonly queued = new Set<string>();
  private readonly running = new Set<string>();
  private readonly dirty = new Set<string>();
  private idleWaiters: Array<() => void> = [];
  private drainWaiters: Array<() => void> = [];
  private paused = false;

  constructor(
    private readonly job: KeyedJob,
    private readonly concurrency: number,
  ) {
    if (!(concurrency >= 1)) throw new RangeError(`concurrency must be >= 1, got ${concurrency}`);
  }

  /** Schedule `key`. If it runs now, it runs once more after the current run. */
  push(key: string): void {
    if (this.running.has(key)) {
      this.dirty.add(key);
      return;
    }
    if (this.queued.has(key)) return;
    this.queued.add(key);
    this.pending.push(key);
    this.pump();
  }

  get size(): number {
    return this.pending.length + this.running.size;
  }

  /** Resolves when nothing is queued or running. */
  idle(): Promise<void> {
    if (this.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Runs `fn` alone: no job starts until it is done, and it starts once running jobs have finished. */
  async exclusive<T>(fn: () => Promise<T>): Promise<T> {
    while (this.paused) await new Promise<void>((r) => this.drainWaiters.push(r));
    this.paused = true;
    try {
      while (this.running.size > 0) await new Promise<void>((r) => this.drainWaiters.push(r));
      return await fn();
    } finally {
      this.paused = false;
      this.wakeDrain();
      this.pump();
    }
  }

  private wakeDrain(): void {
    const waiters = this.drainWaiters;
    this.drainWaiters = [];
    for (const w of waiters) w();
  }

  private pump(): void {
    if (this.running.size === 0) this.wakeDrain();
    while (!this.paused && this.running.size < this.concurrency && this.pending.length > 0) {
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
    try {
      await this.job(key);
    } catch {
      // The job owns its error handling (logging, retry); a throw must not stop the queue.
    } finally {
      this.running.delete(key);
      if (this.dirty.delete(key)) {
        this.queued.add(key);
        this.pending.push(key);
      }
      this.pump();
    }
  }
}
