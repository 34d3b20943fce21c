// Pure: a copy of the Eureka registry kept by applying deltas, checked with Eureka's own hash, as Netflix's
// DiscoveryClient keeps its local registry: GET /apps once, then GET /apps/delta (the changes of the server's last
// few minutes, ADDED / MODIFIED / DELETED) applied to the copy; when the copy's per-status counts differ from the
// server's `apps__hashcode`, the copy is wrong and a full GET /apps replaces it.
import type { EurekaApplications, EurekaInstanceInfo } from "./types.js";

const asList = <T>(x: T[] | T | undefined): T[] => (x === undefined ? [] : Array.isArray(x) ? x : [x]);

/** Every InstanceInfo of a /apps or /apps/delta answer. */
export function instancesOf(body: EurekaApplications | undefined): EurekaInstanceInfo[] {
  const apps = asList(body?.applications?.application);
  return apps.flatMap((a) => asList(a.instance).map((i) => ({ ...i, app: i.app || a.name })));
}

/** Eureka's reconcile hash: "<STATUS>_<count>_" for each status present, statuses in sorted order ("DOWN_1_UP_3_"). */
export function reconcileHashCode(infos: Iterable<EurekaInstanceInfo>): string {
  const counts = new Map<string, number>();
  for (const i of infos) counts.set(i.status, (counts.get(i.status) ?? 0) + 1);
  return [...counts.keys()]
    .sort()
    .map((s) => `${s}_${counts.get(s)}_`)
    .join("");
}

/** An InstanceInfo without what every renewal changes (leaseInfo's timestamps) and the delta's action. */
const sansLease = ({ leaseInfo: _l, actionType: _a, ...rest }: EurekaInstanceInfo) => JSON.stringify(rest);

const key = (i: EurekaInstanceInfo) => `${i.app.toUpperCase()}/${i.instanceId}`;

export class AppsCopy {
  private readonly byKey = new Map<string, EurekaInstanceInfo>();
  /** Whether the copy holds a full fetch (a delta alone means nothing). */
  loaded = false;

  /** Replaces the copy with a full GET /apps answer. */
  replace(body: EurekaApplications): void {
    this.byKey.clear();
    for (const i of instancesOf(body)) this.byKey.set(key(i), i);
    this.loaded = true;
  }

  /**
   * Applies a GET /apps/delta answer. `matches`: the copy then agrees with the server's hash (false: fetch it whole);
   * `changed`: some instance was added, removed or changed (lease renewals aside). A delta repeats the changes of the
   * server's last minutes: applying one twice changes nothing.
   */
  applyDelta(body: EurekaApplications): { matches: boolean; changed: boolean } {
    let changed = false;
    for (const i of instancesOf(body)) {
      const k = key(i);
      const before = this.byKey.get(k);
      if (i.actionType === "DELETED") {
        if (this.byKey.delete(k)) changed = true;
      } else {
        if (before === undefined || sansLease(before) !== sansLease(i)) changed = true;
        this.byKey.set(k, i);
      }
    }
    const server = body.applications?.apps__hashcode;
    return { matches: server !== undefined && server === this.hashcode(), changed };
  }

  hashcode(): string {
    return reconcileHashCode(this.byKey.values());
  }

  instances(): EurekaInstanceInfo[] {
    return [...this.byKey.values()];
  }
}
