// The embedded registry: in-process, for a laptop (`portolan up`) and for tests.
import type { CatalogSnapshot, Health, Instance, InstanceRef } from "../../src/core/model.js";
import { InstanceRejectedError } from "../../src/core/errors.js";
import type { Registry } from "../../src/core/registry.js";
import { heldBy, instanceProblem } from "../../src/core/validate.js";

export class MemoryRegistry implements Registry {
  readonly kind = "memory";
  private readonly entries = new Map<string, Instance>();
  private version = 0;
  private readonly waiters = new Set<() => void>();
  private closed = false;

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
    this.entries.set(instance.id, structuredClone(instance));
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
    this.entries.set(ref.id, { ...cur, health: status });
    this.changed();
  }

  async listOwned(owner: string): Promise<Instance[]> {
    return [...this.entries.values()].filter((i) => i.owner === owner).map((i) => structuredClone(i));
  }

  snapshot(): CatalogSnapshot {
    return { version: this.version, instances: [...this.entries.values()].map((i) => structuredClone(i)) };
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

export function createMemoryRegistry(): MemoryRegistry {
  return new MemoryRegistry();
}
