// The embedded registry: in-process, for a laptop (`portolan up`) and for tests.
import type { CatalogSnapshot, Health, Instance, InstanceRef } from "../../src/core/model.js";
import { InstanceSchema } from "../../src/core/model.js";
import type { Registry } from "../../src/core/registry.js";

export class MemoryRegistry implements Registry {
  readonly kind = "memory";
  private readonly entries = new Map<string, Instance>();
  private version = 0;
  private readonly waiters = new Set<() => void>();
  private closed = false;

  async register(instance: Instance): Promise<void> {
    const parsed = InstanceSchema.parse(instance);
    this.entries.set(parsed.id, deepFreeze(structuredClone(parsed)));
    this.changed();
  }

  async deregister(ref: InstanceRef): Promise<void> {
    if (this.entries.delete(ref.id)) this.changed();
  }

  async setHealth(ref: InstanceRef, status: Health, _output: string): Promise<void> {
    const cur = this.entries.get(ref.id);
    if (!cur || cur.health === status) return;
    this.entries.set(ref.id, Object.freeze({ ...cur, health: status }));
    this.changed();
  }

  async listOwned(owner: string): Promise<Instance[]> {
    return [...this.entries.values()].filter((i) => i.owner === owner).map((i) => structuredClone(i));
  }

  /** Stored entries are deep-frozen, so snapshots share them instead of cloning 5,000 instances per change. */
  snapshot(): CatalogSnapshot {
    return { version: this.version, instances: [...this.entries.values()] };
  }

  async *watch(signal?: AbortSignal): AsyncIterable<CatalogSnapshot> {
    let seen = -1;
    while (!this.closed && !signal?.aborted) {
      if (this.version !== seen) {
        seen = this.version;
        yield this.snapshot();
        continue;
      }
      await new Promise<void>((resolve) => {
        const wake = () => {
          this.waiters.delete(wake);
          signal?.removeEventListener("abort", wake);
          resolve();
        };
        this.waiters.add(wake);
        signal?.addEventListener("abort", wake, { once: true });
      });
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    this.wakeAll();
  }

  private changed(): void {
    this.version++;
    this.wakeAll();
  }

  private wakeAll(): void {
    for (const w of [...this.waiters]) w();
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
