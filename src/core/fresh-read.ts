// One read shared by the callers that asked for it while an earlier one of the same key was in flight.

/**
 * Reads of a key (a ZooKeeper directory's children, say) shared between callers: a caller gets the result of a
 * read that started after it asked, never of one already in flight (which may predate the caller's own writes).
 * Callers that arrive while a read runs all wait for the one next read, which starts when it ends. A burst of n
 * callers of one key costs one read at a time, not n; a caller that fails with the shared read retries as it would
 * alone.
 */
export class FreshReads<T> {
  private readonly running = new Map<string, Promise<T>>();
  private readonly queued = new Map<string, Promise<T>>();

  read(key: string, fetch: () => Promise<T>): Promise<T> {
    const queued = this.queued.get(key);
    if (queued) return queued;
    const running = this.running.get(key);
    if (!running) return this.start(key, fetch);
    const next = running.then(
      () => undefined,
      () => undefined,
    ).then(() => {
      this.queued.delete(key);
      return this.start(key, fetch);
    });
    this.queued.set(key, next);
    return next;
  }

  private start(key: string, fetch: () => Promise<T>): Promise<T> {
    const p = fetch();
    this.running.set(key, p);
    const clear = () => {
      if (this.running.get(key) === p) this.running.delete(key);
    };
    p.then(clear, clear);
    return p;
  }
}
