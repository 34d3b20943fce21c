// What changed, not only what is: the catalog's recent changes (registrations, deregistrations, health changes,
// other updates, refusals), each with its time, instance, host and container. Derived from the snapshots' diff
// (a removed entry is named from the view the catalog held before), kept in a bounded log. Pure.
import type { Health } from "../core/model.js";
import type { InstanceDiff, InstanceView } from "./view.js";

export type ChangeKind = "registered" | "deregistered" | "health" | "updated" | "refused";

export interface ChangeEntry {
  /** ISO 8601 time this catalog saw the change. */
  at: string;
  kind: ChangeKind;
  /** Instance ID (absent for a refusal: nothing was registered). */
  id?: string;
  service?: string;
  /** The owner (the registrator's --hostname). */
  host: string;
  /** Container name. */
  container?: string;
  /** Health after the change (registered, health, updated). */
  health?: Health;
  /** Health before it (health). */
  from?: Health;
  /** refused: Docker's port key ("80/tcp") when one port was refused. */
  port?: string;
  /** refused: the SERVICE_* key, label or flag at fault, and why. */
  key?: string;
  reason?: string;
}

/** Entries the catalog keeps (newest win); the page and `catalog events` show these. */
export const DEFAULT_RECENT_CHANGES = 500;

function about(i: InstanceView): Pick<ChangeEntry, "id" | "service" | "host" | "container"> {
  return { id: i.id, service: i.name, host: i.owner, ...(i.container ? { container: i.container.name } : {}) };
}

/** The entries one snapshot diff makes; `prev` is the view before it (removed entries are named from it). */
export function changeEntries(prev: ReadonlyMap<string, InstanceView>, d: InstanceDiff<InstanceView>, at: string): ChangeEntry[] {
  const out: ChangeEntry[] = [];
  for (const i of d.added) out.push({ at, kind: "registered", ...about(i), health: i.health });
  for (const i of d.changed) {
    const before = prev.get(i.id)?.health;
    out.push(before !== undefined && before !== i.health ? { at, kind: "health", ...about(i), health: i.health, from: before } : { at, kind: "updated", ...about(i), health: i.health });
  }
  for (const id of d.removed) {
    const p = prev.get(id);
    out.push(p ? { at, kind: "deregistered", ...about(p) } : { at, kind: "deregistered", id, host: "" });
  }
  return out;
}

/** A refusal as a change entry. */
export function refusalEntry(r: { container: string; port?: string; key: string; reason: string }, host: string, at: string): ChangeEntry {
  return { at, kind: "refused", host, container: r.container, ...(r.port !== undefined ? { port: r.port } : {}), key: r.key, reason: r.reason };
}

/** The newest `size` entries, oldest first inside; `list()` gives them newest first. */
export class RecentChanges {
  private readonly entries: ChangeEntry[] = [];

  constructor(private readonly size = DEFAULT_RECENT_CHANGES) {}

  add(list: readonly ChangeEntry[]): void {
    if (this.size <= 0 || list.length === 0) return;
    this.entries.push(...list.slice(-this.size));
    if (this.entries.length > this.size) this.entries.splice(0, this.entries.length - this.size);
  }

  /** Newest first, at most `limit`. */
  list(limit = this.size): ChangeEntry[] {
    const n = Math.max(0, Math.min(limit, this.entries.length));
    return this.entries.slice(this.entries.length - n).reverse();
  }
}
