// Each refused service is logged once: per container, port, key and reason, not at every resync. The services
// refused now (the set these entries make) are announced whenever that set changes ("refusals" event), so they
// can be shared through the backend.
import type { InstanceRejectedError } from "../core/errors.js";
import type { Instance } from "../core/model.js";
import { originKey, type Origin, type Rejection } from "../docker/mapping.js";
import type { EventSink } from "./events.js";

export class RejectionLog {
  /** container id -> `${scope}\0${port}\0${key}` -> the refusal last emitted. */
  private readonly seen = new Map<string, Map<string, Rejection>>();

  constructor(private readonly emit: EventSink) {}

  /**
   * Emits each rejection not emitted before. The mapping's rejections are the container's full set each time (one
   * that went away is forgotten, so it is logged again if it comes back); a backend's are kept until `forget`.
   */
  report(containerId: string, rejected: Rejection[], scope: "mapping" | "backend"): void {
    let seen = this.seen.get(containerId);
    const now = new Set<string>();
    let changed = false;
    for (const r of rejected) {
      const key = `${scope}\0${r.port ?? ""}\0${r.key}`;
      now.add(key);
      const before = seen?.get(key);
      if (before?.reason === r.reason && before.container === r.container) continue;
      if (!seen) this.seen.set(containerId, (seen = new Map()));
      seen.set(key, r);
      changed = true;
      if (before?.reason !== r.reason) this.emit({ type: "rejected", rejection: r });
    }
    if (scope === "mapping" && seen) {
      for (const k of [...seen.keys()]) {
        if (k.startsWith("mapping\0") && !now.has(k)) changed = seen.delete(k) || changed;
      }
      if (seen.size === 0) this.seen.delete(containerId);
    }
    if (changed) this.announce();
  }

  /** The backend refused an instance for good: one line naming the container, its port and the SERVICE_* key. */
  refusedByBackend(instance: Instance, error: InstanceRejectedError, origins: ReadonlyMap<string, Origin> | undefined): void {
    const o = origins?.get(instance.id);
    const container = instance.container?.name ?? instance.id;
    const reason = `${error.backend} refused it: ${error.reason}`;
    this.report(instance.container?.id ?? instance.id, [{ container, port: o?.port, key: originKey(o, error.key), reason }], "backend");
  }

  forget(containerId: string): void {
    if (this.seen.delete(containerId)) this.announce();
  }

  /** Every service refused now. */
  current(): Rejection[] {
    return [...this.seen.values()].flatMap((m) => [...m.values()]);
  }

  private announce(): void {
    this.emit({ type: "refusals", refusals: this.current() });
  }
}
