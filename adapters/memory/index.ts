// The embedded registry: in-process, for a laptop (`portolan up`) and for tests.
import type { CatalogSnapshot, Health, Instance, InstanceRef } from "../../src/core/model.js";
import { InstanceRejectedError } from "../../src/core/errors.js";
import type { Registry } from "../../src/core/registry.js";
import { RefusalFeed, type HostRefusals, type RefusalStore } from "../../src/core/refusals.js";
import { SnapshotFeed } from "../../src/core/snapshot-feed.js";
import { heldBy, instanceProblem } from "../../src/core/validate.js";

export class MemoryRegistry implements Registry {
  readonly kind = "memory";
  /** Stored entries are deep-frozen, so snapshots share them instead of cloning 5,000 instances per change. */
  private readonly entries = new Map<string, Instance>();
  private readonly feed = new SnapshotFeed();
  private readonly refusalDocs = new Map<string, HostRefusals>();
  private readonly refusalFeed = new RefusalFeed();
  /** In process: the catalog of `portolan up` shows what its own registrator refuses. */
  readonly refusals: RefusalStore = {
    publish: async (doc) => {
      if (doc.refusals.length + doc.more === 0) this.refusalDocs.delete(doc.host);
      else this.refusalDocs.set(doc.host, structuredClone(doc));
      this.refusalFeed.set([...this.refusalDocs.values()]);
    },
    watch: (signal) => this.refusalFeed.watch(signal),
  };

  constructor() {
    this.feed.publish([]);
    this.refusalFeed.set([]);
  }

  /** The embedded registry has no limits of its own beyond the backend-independent rules. */
  validate(instance: Instance): void {
    const problem = instanceProblem(this.kind, instance);
    if (problem) throw problem;
  }

  async register(instance: Instance): Promise<void> {
    this.validate(instance);
    const held = this.entries.get(instance.id);
    if (held && held.owner !== instance.owner) {
      throw new InstanceRejectedError({ backend: this.kind, instanceId: instance.id, key: "id", reason: heldBy(held) });
    }
    this.entries.set(instance.id, deepFreeze(structuredClone(instance)));
    this.changed();
  }

  async deregister(ref: InstanceRef): Promise<void> {
    const held = this.entries.get(ref.id);
    if (!held || (ref.owner !== undefined && held.owner !== ref.owner)) return;
    this.entries.delete(ref.id);
    this.changed();
  }

  async setHealth(ref: InstanceRef, status: Health, _output: string): Promise<void> {
    const cur = this.entries.get(ref.id);
    if (!cur || cur.health === status || (ref.owner !== undefined && cur.owner !== ref.owner)) return;
    this.entries.set(ref.id, Object.freeze({ ...cur, health: status }));
    this.changed();
  }

  async listOwned(owner: string): Promise<Instance[]> {
    return [...this.entries.values()].filter((i) => i.owner === owner).map((i) => structuredClone(i));
  }

  /** The current catalog (shared with watchers: read-only, its entries frozen). */
  snapshot(): CatalogSnapshot {
    return this.feed.current!;
  }

  watch(signal?: AbortSignal): AsyncIterable<CatalogSnapshot> {
    return this.feed.watch(signal);
  }

  async close(): Promise<void> {
    this.feed.end();
    this.refusalFeed.end();
  }

  private changed(): void {
    this.feed.publish([...this.entries.values()]);
  }
}

function deepFreeze<T>(o: T): T {
  if (o && typeof o === "object" && !Object.isFrozen(o)) {
    Object.freeze(o);
    for (const v of Object.values(o)) deepFreeze(v);
  }
  return o;
}

export function createMemoryRegistry(): MemoryRegistry {
  return new MemoryRegistry();
}
