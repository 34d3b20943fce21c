// A Registry that times every call of the one it wraps and counts failures (by error class) in CatalogMetrics.
import type { CatalogSnapshot, Health, Instance, InstanceRef } from "../core/model.js";
import type { Registry, WatchScope } from "../core/registry.js";
import type { CatalogMetrics } from "./metrics.js";

export class InstrumentedRegistry implements Registry {
  readonly kind: string;
  readonly healthRefreshMs: number | undefined;

  constructor(
    readonly inner: Registry,
    private readonly metrics: CatalogMetrics,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.kind = inner.kind;
    this.healthRefreshMs = inner.healthRefreshMs;
  }

  validate(instance: Instance): void {
    this.inner.validate(instance);
  }

  get authFailures(): number | undefined {
    return this.inner.authFailures;
  }

  register(instance: Instance): Promise<void> {
    return this.timed("register", () => this.inner.register(instance));
  }

  deregister(ref: InstanceRef): Promise<void> {
    return this.timed("deregister", () => this.inner.deregister(ref));
  }

  setHealth(ref: InstanceRef, status: Health, output: string): Promise<void> {
    return this.timed("set_health", () => this.inner.setHealth(ref, status, output));
  }

  listOwned(owner: string): Promise<Instance[]> {
    return this.timed("list_owned", () => this.inner.listOwned(owner));
  }

  watch(signal?: AbortSignal, scope?: WatchScope): AsyncIterable<CatalogSnapshot> {
    return this.inner.watch(signal, scope);
  }

  get ping(): ((signal?: AbortSignal) => Promise<void>) | undefined {
    const inner = this.inner;
    return inner.ping && ((signal) => inner.ping!(signal));
  }

  close(): Promise<void> {
    return this.inner.close();
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
