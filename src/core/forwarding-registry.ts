// A Registry that passes every call to the one it wraps. Wrappers (the catalog's timing, the shared watch of `up`)
// extend it and override only what they change, so a new argument or member of the port reaches the backend
// through every wrapper at once.
import type { CatalogSnapshot, Health, Instance, InstanceRef } from "./model.js";
import type { RefusalStore } from "./refusals.js";
import type { RegisterOptions, Registry, RegistryAccess, WatchScope } from "./registry.js";

export class ForwardingRegistry implements Registry {
  readonly kind: string;
  readonly healthRefreshMs: number | undefined;
  readonly watchChecksAccess: boolean | undefined;

  constructor(readonly inner: Registry) {
    this.kind = inner.kind;
    this.healthRefreshMs = inner.healthRefreshMs;
    this.watchChecksAccess = inner.watchChecksAccess;
  }

  get authFailures(): number | undefined {
    return this.inner.authFailures;
  }

  get ping(): ((signal?: AbortSignal) => Promise<void>) | undefined {
    const inner = this.inner;
    return inner.ping && ((signal) => inner.ping!(signal));
  }

  get refusals(): RefusalStore | undefined {
    return this.inner.refusals;
  }

  get checkAccess(): ((access: RegistryAccess) => Promise<void>) | undefined {
    const inner = this.inner;
    return inner.checkAccess && ((access) => inner.checkAccess!(access));
  }

  validate(instance: Instance): void {
    this.inner.validate(instance);
  }

  register(instance: Instance, opts?: RegisterOptions): Promise<void> {
    return this.inner.register(instance, opts);
  }

  deregister(ref: InstanceRef): Promise<void> {
    return this.inner.deregister(ref);
  }

  setHealth(ref: InstanceRef, status: Health, output: string): Promise<void> {
    return this.inner.setHealth(ref, status, output);
  }

  listOwned(owner: string): Promise<Instance[]> {
    return this.inner.listOwned(owner);
  }

  watch(signal?: AbortSignal, scope?: WatchScope): AsyncIterable<CatalogSnapshot> {
    return this.inner.watch(signal, scope);
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
