// Which running container holds each service ID on this host. Two containers declaring one ID (SERVICE_ID)
// would otherwise overwrite each other at every sync; the first holder keeps the ID, the other is refused with
// one line naming both, and gets its turn when the holder lets the ID go.

export class IdClaims {
  private readonly holder = new Map<string, { container: string; name: string }>();
  private readonly byContainer = new Map<string, Set<string>>();
  /** Containers refused an ID, to be synced again when it is released. */
  private readonly waiting = new Map<string, Set<string>>();

  /** Records `container` as the holder of `id` unless another container holds it; returns that holder's name if so. */
  claim(id: string, container: string, name: string): string | undefined {
    const h = this.holder.get(id);
    if (h && h.container !== container) {
      const w = this.waiting.get(id) ?? new Set();
      w.add(container);
      this.waiting.set(id, w);
      return h.name;
    }
    this.holder.set(id, { container, name });
    const mine = this.byContainer.get(container) ?? new Set();
    mine.add(id);
    this.byContainer.set(container, mine);
    return undefined;
  }

  /**
   * Lets go of every ID of `container` not in `keep`; returns the containers that were waiting for one of them.
   * With `gone` (the container stopped or was removed) it also stops waiting for IDs of others.
   */
  release(container: string, keep: ReadonlySet<string> = new Set(), gone = false): string[] {
    const mine = this.byContainer.get(container);
    const wake = new Set<string>();
    for (const id of mine ?? []) {
      if (keep.has(id)) continue;
      mine!.delete(id);
      if (this.holder.get(id)?.container === container) this.holder.delete(id);
      for (const c of this.waiting.get(id) ?? []) if (c !== container) wake.add(c);
      this.waiting.delete(id);
    }
    if (mine?.size === 0) this.byContainer.delete(container);
    if (gone) for (const w of this.waiting.values()) w.delete(container);
    return [...wake];
  }

  /** Containers that hold at least one ID. */
  holders(): string[] {
    return [...this.byContainer.keys()];
  }
}
