// The Registry port. Every backend (adapters/*) implements it; only src/cli wires a concrete one.
import type { CatalogSnapshot, Health, Instance, InstanceRef } from "./model.js";
import type { RefusalStore } from "./refusals.js";

export interface Registry {
  /** Short backend name for logs and metrics: "memory", "consul", "zookeeper", "portolan". */
  readonly kind: string;
  /** Health written by setHealth() expires in the backend unless refreshed this often (Consul TTL checks); undefined = it never expires. */
  readonly healthRefreshMs?: number;
  /**
   * Throws InstanceRejectedError when this backend can never accept `instance` as it is (its limits, reserved
   * keys, characters). Local and cheap: no request. register() applies the same check before writing.
   */
  validate(instance: Instance): void;
  /**
   * Create or replace the entry (idempotent). Carries the instance's current health. Throws InstanceRejectedError
   * when the instance is invalid for this backend or its ID is held by another owner (that entry is left as it is).
   */
  register(instance: Instance, opts?: RegisterOptions): Promise<void>;
  /** Remove the entry; removing an absent entry is not an error. With `ref.owner`, an entry another owner holds is kept. */
  deregister(ref: InstanceRef): Promise<void>;
  /** Change only the health of an entry this process registered (also refreshes TTLs). */
  setHealth(ref: InstanceRef, status: Health, output: string): Promise<void>;
  /** Every entry whose owner is `owner`, as the backend holds it now. */
  listOwned(owner: string): Promise<Instance[]>;
  /**
   * Reachability probe (the catalog's /healthz: every 6 s while it answers, every 2 s while not): resolves when the backend answers, at a cost that does not
   * grow with the catalog (Consul: GET /v1/status/leader; ZooKeeper: the session's connection state, no request).
   * Absent for in-process backends, which are always reachable.
   */
  ping?(signal?: AbortSignal): Promise<void>;
  /**
   * Snapshots of the whole catalog: the current one first, then one per change. Ends when `signal` aborts or close()
   * is called. With `scope.services`, only those services are needed: a backend that can watch them alone does (Consul:
   * one blocking query per service), and may still answer with more.
   */
  watch(signal?: AbortSignal, scope?: WatchScope): AsyncIterable<CatalogSnapshot>;
  close(): Promise<void>;
  /**
   * Start-up probe: may our credentials do what `access` needs (read: watch the catalog; write: also register)?
   * Throws BackendAuthError naming the missing permission; BackendUnavailableError when it cannot tell now.
   * Absent for backends without credentials.
   */
  checkAccess?(access: RegistryAccess): Promise<void>;
  /**
   * True when a watch with `scope.services` and `scope.checkAccess` checks the credentials in its first reads, so a
   * reader need not ask checkAccess("read") first (a request of its own); absent: it must.
   */
  readonly watchChecksAccess?: boolean;
  /** Requests refused for credentials since start (a counter for metrics); absent for backends without credentials. */
  readonly authFailures?: number;
  /**
   * Where registrators share the services they refuse, so any catalog shows them (src/core/refusals.ts). Absent for
   * a backend that cannot: the catalog then says refusals are not shared by it.
   */
  readonly refusals?: RefusalStore;
}

export type RegistryAccess = "read" | "write";

export interface RegisterOptions {
  /**
   * The caller computed this ID itself as the owner's default (`<owner>:<container>:<port>[:udp]`, no SERVICE_ID chose
   * it): only this owner writes IDs under its `<owner>:` prefix, so a backend may skip reading who holds it first.
   */
  defaultId?: boolean;
}

/** What a reader needs of the catalog (Registry.watch). */
export interface WatchScope {
  /** Only these service names (render/exec templates). */
  services?: readonly string[];
  /**
   * Only passing instances are used (templates list passing instances only): a backend may leave the others out
   * (Consul: `?passing`, so a health change does not re-send instances nobody renders).
   */
  passingOnly?: boolean;
  /**
   * The reader has not checked its credentials (checkAccess("read")): where the backend says so (watchChecksAccess),
   * the watch checks them in its first reads, and credentials refused before the first snapshot end the watch with
   * BackendAuthError (not retried).
   */
  checkAccess?: boolean;
}
