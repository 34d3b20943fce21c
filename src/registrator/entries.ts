// What this process believes the backend holds for its owner, and which of those entries it wrote itself.
// Every write updates it (see writer.ts); a resync replaces it with the backend's own list.
import type { Health, Instance } from "../core/model.js";

/** How long a register write that failed may still be applied by the backend. */
export const LATE_WRITE_MS = 600_000;
/** Most failed register writes remembered (oldest forgotten first). */
const LATE_WRITES_KEPT = 10_000;

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
  /**
   * Ids whose register write failed without a refusal, with when. Such a request may still be applied after the
   * entry was registered by a retry and removed again (an overloaded Consul agent applies a request its client gave
   * up on minutes later): for LATE_WRITE_MS, an entry of that ID with no container is this process's to remove.
   */
  private readonly lateWrites = new Map<string, number>();
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

  /** A register write of `id` failed at `now` without a refusal: it may still be applied, later. */
  mayLand(id: string, now: number): void {
    this.lateWrites.delete(id);
    this.lateWrites.set(id, now);
    // Oldest first: drop what expired, and never hold more than LATE_WRITES_KEPT.
    for (const [old, at] of this.lateWrites) {
      if (at > now - LATE_WRITE_MS && this.lateWrites.size <= LATE_WRITES_KEPT) break;
      this.lateWrites.delete(old);
    }
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

  /** Written by this process: registered, a register write that failed, or one that may still land (at `now`). */
  wasRegisteredHere(id: string, now: number): boolean {
    return this.registeredHere.has(id) || this.attempted.has(id) || (this.lateWrites.get(id) ?? -Infinity) > now - LATE_WRITE_MS;
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
