// What this process believes the backend holds for its owner, and which of those entries it wrote itself.
// Every write updates it (see writer.ts); a resync replaces it with the backend's own list.
import type { Health, Instance } from "../core/model.js";

export class KnownEntries {
  /** The backend's entries of this owner, by id. */
  private readonly known = new Map<string, Instance>();
  /**
   * Ids registered by this process (removed on resync even without --cleanup), with the number of their last
   * register write: a resync leaves alone what was written after it listed Docker (see resync.ts).
   */
  private readonly registeredHere = new Map<string, number>();
  private registerWrites = 0;
  /**
   * Register writes that failed without a refusal, with what they wrote: they may have landed all the same (a request
   * that timed out after the backend applied it, a ZooKeeper session that re-creates what it was asked to hold once
   * it is back). Until confirmed or removed they count as written here: a container that goes away meanwhile has
   * them deregistered, and a resync that finds one in the backend with no container removes it.
   */
  private readonly attempted = new Map<string, Instance>();
  /** Ids kept because their container failed under --deregister on-success. */
  private readonly retained = new Set<string>();

  all(): Instance[] {
    return [...this.known.values()];
  }

  get(id: string): Instance | undefined {
    return this.known.get(id);
  }

  /** The backend's list, read by a resync. */
  replaceAll(entries: readonly Instance[]): void {
    this.known.clear();
    for (const e of entries) this.known.set(e.id, e);
  }

  registered(i: Instance): void {
    this.known.set(i.id, i);
    this.registeredHere.set(i.id, ++this.registerWrites);
    this.attempted.delete(i.id);
  }

  /** A register write of `i` failed (given up or to be retried): it may have landed. */
  registerFailed(i: Instance): void {
    this.attempted.set(i.id, i);
  }

  /** Failed register writes not known to the backend's list as this process last saw it (see `attempted`). */
  uncertain(): Instance[] {
    return [...this.attempted.values()].filter((i) => !this.known.has(i.id));
  }

  deregistered(id: string): void {
    this.known.delete(id);
    this.registeredHere.delete(id);
    this.attempted.delete(id);
  }

  /** An entry the backend cannot change: forgotten until the next resync lists it again. */
  forget(id: string): void {
    this.known.delete(id);
  }

  healthSet(id: string, health: Health): void {
    const k = this.known.get(id);
    if (k) this.known.set(id, { ...k, health });
  }

  /** The register write count now: `writtenSince(id, mark)` tells what was registered after this point. */
  mark(): number {
    return this.registerWrites;
  }

  /** Was `id` registered by this process after the register write count was `mark`? */
  writtenSince(id: string, mark: number): boolean {
    return (this.registeredHere.get(id) ?? 0) > mark;
  }

  wasRegisteredHere(id: string): boolean {
    return this.registeredHere.has(id) || this.attempted.has(id);
  }

  /** `keep`: the entry's container failed under --deregister on-success, the entry stays. */
  retain(id: string, keep: boolean): void {
    if (keep) this.retained.add(id);
    else this.retained.delete(id);
  }

  isRetained(id: string): boolean {
    return this.retained.has(id);
  }
}
