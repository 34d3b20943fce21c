// A Registry that times every call of the one it wraps and counts failures (by error class) in CatalogMetrics.
import { ForwardingRegistry } from "../core/forwarding-registry.js";
import type { Health, Instance, InstanceRef } from "../core/model.js";
import type { RegisterOptions, Registry } from "../core/registry.js";
import type { CatalogMetrics } from "./metrics.js";

export class InstrumentedRegistry extends ForwardingRegistry {
  constructor(
    inner: Registry,
    private readonly metrics: CatalogMetrics,
    private readonly now: () => number = () => performance.now(),
  ) {
    super(inner);
  }

  override register(instance: Instance, opts?: RegisterOptions): Promise<void> {
    return this.timed("register", () => this.inner.register(instance, opts));
  }

  override deregister(ref: InstanceRef): Promise<void> {
    return this.timed("deregister", () => this.inner.deregister(ref));
  }

  override setHealth(ref: InstanceRef, status: Health, output: string): Promise<void> {
    return this.timed("set_health", () => this.inner.setHealth(ref, status, output));
  }

  override listOwned(owner: string): Promise<Instance[]> {
    return this.timed("list_owned", () => this.inner.listOwned(owner));
  }

  async timed<T>(op: string, fn: () => Promise<T>): Promise<T> {
    const t0 = this.now();
    try {
      const r = await fn();
      this.metrics.backendOp(op, (this.now() - t0) / 1000);
      return r;
    } catch (err) {
      this.metrics.backendOp(op, (this.now() - t0) / 1000, err);
      throw err;
    }
  }
}
