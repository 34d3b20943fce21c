// The Registry port. Every backend (adapters/*) implements it; only src/cli wires a concrete one.
import type { CatalogSnapshot, Health, Instance, InstanceRef } from "./model.js";

export interface Registry {
  /** Short backend name for logs and metrics: "memory", "consul", "zookeeper", "portolan". */
  readonly kind: string;
  /** Health written by setHealth() expires in the backend unless refreshed this often (Consul TTL checks); undefined = it never expires. */
  readonly healthRefreshMs?: number;
  /** Create or replace the entry (idempotent). Carries the instance's current health. */
  register(instance: Instance): Promise<void>;
  /** Remove the entry; removing an absent entry is not an error. */
  deregister(ref: InstanceRef): Promise<void>;
  /** Change only the health of an entry this process registered (also refreshes TTLs). */
  setHealth(ref: InstanceRef, status: Health, output: string): Promise<void>;
  /** Every entry whose owner is `owner`, as the backend holds it now. */
  listOwned(owner: string): Promise<Instance[]>;
  /** Snapshots of the whole catalog: the current one first, then one per change. Ends when `signal` aborts or close() is called. */
  watch(signal?: AbortSignal): AsyncIterable<CatalogSnapshot>;
  close(): Promise<void>;
  /**
   * Start-up probe: may our credentials do what `access` needs (read: watch the catalog; write: also register)?
   * Throws BackendAuthError naming the missing permission; BackendUnavailableError when it cannot tell now.
   * Absent for backends without credentials.
   */
  checkAccess?(access: RegistryAccess): Promise<void>;
  /** Requests refused for credentials since start (a counter for metrics); absent for backends without credentials. */
  readonly authFailures?: number;
}

export type RegistryAccess = "read" | "write";
