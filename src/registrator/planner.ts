// The pure diff between what should be registered and what the backend holds.
import type { Instance, InstanceRef } from "../core/model.js";

export type PlanOp =
  | { type: "register"; instance: Instance; reason: "new" | "changed" }
  | { type: "deregister"; ref: InstanceRef; reason: "gone" | "dangling" }
  | { type: "set-health"; ref: InstanceRef; health: Instance["health"] };

export interface PlanOptions {
  /** May this entry (present in the backend, not desired) be removed? */
  mayRemove: (current: Instance) => boolean;
}

/**
 * Everything about an instance except its health (and what the backend reports of it), in a canonical form (order-insensitive where order carries no
 * meaning: fields, meta keys, check fields), so an instance read back equals the one registered whatever order a
 * backend builds it in.
 */
export function registrationKey(i: Instance): string {
  // What the backend reports (check output, registration time) is no part of what was registered.
  const { health: _health, checkOutput: _output, registeredAt: _at, ...rest } = i;
  const byKey = ([a]: [string, unknown], [b]: [string, unknown]) => (a < b ? -1 : a > b ? 1 : 0);
  const canonical = {
    ...rest,
    meta: Object.fromEntries(Object.entries(i.meta).sort(byKey)),
    checks: i.checks.map((c) => JSON.stringify(c, Object.keys(c).sort())),
  };
  return JSON.stringify(Object.fromEntries(Object.entries(canonical).sort(byKey)));
}

export function plan(desired: Instance[], current: Instance[], opts: PlanOptions): PlanOp[] {
  const ops: PlanOp[] = [];
  const have = new Map(current.map((i) => [i.id, i]));
  const want = new Set<string>();
  for (const d of desired) {
    want.add(d.id);
    const c = have.get(d.id);
    if (!c) {
      ops.push({ type: "register", instance: d, reason: "new" });
    } else if (registrationKey(c) !== registrationKey(d)) {
      ops.push({ type: "register", instance: d, reason: "changed" });
    } else if (c.health !== d.health) {
      ops.push({ type: "set-health", ref: { id: d.id, name: d.name }, health: d.health });
    }
  }
  for (const c of current) {
    if (!want.has(c.id) && opts.mayRemove(c)) {
      ops.push({ type: "deregister", ref: { id: c.id, name: c.name }, reason: "gone" });
    }
  }
  return ops;
}
