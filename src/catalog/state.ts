// The catalog's in-memory state: the latest snapshot as views, the backend's status, and a bounded log of
// change events (for SSE clients resuming with Last-Event-ID). Pure apart from the injected clock.
import { isDeepStrictEqual } from "node:util";
import type { CatalogSnapshot, Instance } from "../core/model.js";
import type { HostRefusals } from "../core/refusals.js";
import { changeEntries, DEFAULT_RECENT_CHANGES, RecentChanges, refusalEntry, type ChangeEntry } from "./changes.js";
import { diffInstances, sortInstances, summarize, type InstanceView, type ServiceSummary } from "./view.js";

export type BackendStatus = "starting" | "up" | "down";

export type StreamEvent =
  | { type: "change"; id: string; seq: number; data: { version: number; added: InstanceView[]; changed: InstanceView[]; removed: string[]; changes: ChangeEntry[] } }
  | { type: "refused"; id: string; seq: number; data: ChangeEntry }
  | { type: "backend"; id: string; seq: number; data: { status: BackendStatus; error?: string } }
  | { type: "refusals"; id: string; seq: number; data: RefusalsDocument };

/**
 * `GET /v1/refusals`: what every host's registrator refuses now, shared through the backend. `shared` false: this
 * backend cannot share them (`message` says so); `error`: it can, but reading them fails now (say, credentials).
 */
export interface RefusalsDocument {
  shared: boolean;
  message?: string;
  error?: string;
  hosts: HostRefusals[];
}

export interface SnapshotEvent {
  id: string;
  version: number;
  backend: BackendStatus;
  /** False until the backend delivered its first snapshot. */
  loaded: boolean;
  instances: InstanceView[];
}

export const DEFAULT_EVENT_LOG = 1024;

export interface StateOptions {
  clock?: () => number;
  /** Change events kept for resuming clients; older ones get a fresh snapshot instead. */
  eventLog?: number;
  /** Distinguishes this process's event ids from another's (a restarted server). */
  boot?: string;
  /** Recent changes kept for the page and `catalog events` (DEFAULT_RECENT_CHANGES). */
  recentChanges?: number;
}

export class CatalogState {
  readonly boot: string;
  private readonly clock: () => number;
  private readonly logSize: number;
  private byId = new Map<string, InstanceView>();
  private sorted: InstanceView[] = [];
  private summaries: ServiceSummary[] | undefined;
  private seq = 0;
  private readonly log: StreamEvent[] = [];
  private readonly listeners = new Set<(e: StreamEvent) => void>();
  private readonly recent: RecentChanges;
  version = 0;
  /** True once the first snapshot arrived. */
  loaded = false;
  backend: BackendStatus = "starting";
  backendError: string | undefined;
  private refusalsDoc: RefusalsDocument = { shared: false, message: "refusals are not shared by this backend", hosts: [] };

  constructor(opts: StateOptions = {}) {
    this.clock = opts.clock ?? Date.now;
    this.logSize = opts.eventLog ?? DEFAULT_EVENT_LOG;
    this.boot = opts.boot ?? Math.floor(Math.random() * 2 ** 40).toString(36);
    this.recent = new RecentChanges(opts.recentChanges ?? DEFAULT_RECENT_CHANGES);
  }

  /** Takes a snapshot from the backend; returns the change event it caused, if anything changed. */
  apply(snap: CatalogSnapshot): StreamEvent | undefined {
    const now = new Date(this.clock()).toISOString();
    const next = new Map<string, InstanceView>();
    // Unchanged entries keep their view object: the diff below is then an identity check for them.
    for (const i of snap.instances) {
      const p = this.byId.get(i.id);
      // `since`: the backend's registration time where it stores one, else when this catalog first saw the entry.
      next.set(i.id, p && sameInstance(p, i) ? p : { ...i, since: i.registeredAt ?? p?.since ?? now });
    }
    const d = diffInstances(this.byId, next, (a, b) => a === b);
    const prevSorted = this.sorted;
    const prev = this.byId;
    this.byId = next;
    this.version = snap.version;
    const first = !this.loaded;
    this.loaded = true;
    if (!first && d.added.length + d.changed.length + d.removed.length === 0) return undefined;
    // Same ids (only changes): same order, no sort.
    this.sorted = d.added.length + d.removed.length === 0 ? prevSorted.map((v) => next.get(v.id)!) : sortInstances([...next.values()]);
    this.summaries = undefined;
    // The first snapshot is what was there, not a change this catalog saw.
    const changes = first ? [] : changeEntries(prev, d, now);
    this.recent.add(changes);
    return this.emit({ type: "change", id: "", seq: 0, data: { version: snap.version, ...d, changes } });
  }

  /** A service the registrator refused (never written): into the recent changes, and to every stream client. */
  refused(r: { container: string; port?: string; key: string; reason: string }, host: string): StreamEvent {
    const entry = refusalEntry(r, host, new Date(this.clock()).toISOString());
    this.recent.add([entry]);
    return this.emit({ type: "refused", id: "", seq: 0, data: entry });
  }

  /** What the backend shares of the hosts' refusals; a change goes to every stream client. */
  setRefusals(doc: RefusalsDocument): StreamEvent | undefined {
    if (JSON.stringify(doc) === JSON.stringify(this.refusalsDoc)) return undefined;
    this.refusalsDoc = doc;
    return this.emit({ type: "refusals", id: "", seq: 0, data: doc });
  }

  refusals(): RefusalsDocument {
    return this.refusalsDoc;
  }

  /** Newest first, at most `limit`. */
  recentChanges(limit?: number): ChangeEntry[] {
    return this.recent.list(limit);
  }

  setBackend(status: BackendStatus, error?: string): StreamEvent | undefined {
    if (status === this.backend && error === this.backendError) return undefined;
    const changedStatus = status !== this.backend;
    this.backend = status;
    this.backendError = error;
    if (!changedStatus) return undefined;
    return this.emit({ type: "backend", id: "", seq: 0, data: error === undefined ? { status } : { status, error } });
  }

  instances(): InstanceView[] {
    return this.sorted;
  }

  get(id: string): InstanceView | undefined {
    return this.byId.get(id);
  }

  services(): ServiceSummary[] {
    this.summaries ??= summarize(this.sorted);
    return this.summaries;
  }

  /** The id of the latest event (what a client that saw everything would send as Last-Event-ID). */
  lastId(): string {
    return `${this.boot}-${this.seq}`;
  }

  /** Monotonic counter of changes to what the API serves (for response caches). */
  get generation(): number {
    return this.seq;
  }

  snapshotEvent(): SnapshotEvent {
    return { id: this.lastId(), version: this.version, backend: this.backend, loaded: this.loaded, instances: this.sorted };
  }

  /**
   * Events after `lastEventId`, or undefined when the client must start from a snapshot instead
   * (no id, an id from another process, or one older than the event log).
   */
  eventsAfter(lastEventId: string | undefined): StreamEvent[] | undefined {
    const m = lastEventId === undefined ? null : /^([a-z0-9]+)-(\d+)$/.exec(lastEventId);
    if (!m || m[1] !== this.boot) return undefined;
    const seen = Number(m[2]);
    if (seen > this.seq) return undefined;
    if (seen === this.seq) return [];
    const oldest = this.log[0]?.seq;
    if (oldest === undefined || seen < oldest - 1) return undefined;
    return this.log.filter((e) => e.seq > seen);
  }

  subscribe(fn: (e: StreamEvent) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  get subscribers(): number {
    return this.listeners.size;
  }

  /** Current instances as Instances (without `since`), e.g. for a CatalogSnapshot. */
  plainInstances(): Instance[] {
    return this.sorted.map(({ since: _since, ...i }) => i);
  }

  private emit(e: StreamEvent): StreamEvent {
    e.seq = ++this.seq;
    e.id = `${this.boot}-${e.seq}`;
    this.log.push(e);
    if (this.log.length > this.logSize) this.log.splice(0, this.log.length - this.logSize);
    for (const l of [...this.listeners]) l(e);
    return e;
  }
}

const sameStrings = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((x, k) => x === b[k]);

/** Field by field (the hot path of every snapshot: thousands of entries, nearly all unchanged). */
export function sameInstance(a: Instance, b: Instance): boolean {
  if (a.id !== b.id || a.name !== b.name || a.address !== b.address || a.port !== b.port || a.protocol !== b.protocol || a.health !== b.health || a.owner !== b.owner) return false;
  if (a.container?.id !== b.container?.id || a.container?.name !== b.container?.name || !sameStrings(a.tags, b.tags)) return false;
  if (a.checkOutput !== b.checkOutput || a.registeredAt !== b.registeredAt) return false;
  const ka = Object.keys(a.meta);
  if (ka.length !== Object.keys(b.meta).length || ka.some((k) => a.meta[k] !== b.meta[k])) return false;
  return a.checks.length === b.checks.length && (a.checks.length === 0 || isDeepStrictEqual(a.checks, b.checks));
}
