// The catalog's recent changes: derived from snapshot diffs (a removed entry still named), refusals, a bounded log.
import { describe, expect, it } from "vitest";
import type { Instance } from "../../src/core/model.js";
import { changeEntries, RecentChanges, type ChangeEntry } from "../../src/catalog/changes.js";
import { CatalogState } from "../../src/catalog/state.js";
import { diffInstances, hostsOf, type InstanceView } from "../../src/catalog/view.js";

function inst(id: string, over: Partial<Instance> = {}): Instance {
  return { id, name: id.split(":")[1]!, address: "10.0.0.1", port: 80, protocol: "tcp", tags: [], meta: {}, checks: [], health: "passing", owner: id.split(":")[0]!, container: { id: `c-${id}`, name: `${id.split(":")[1]}-1` }, ...over };
}
const view = (i: Instance): InstanceView => ({ ...i, since: "t0" });
const map = (list: Instance[]) => new Map(list.map((i) => [i.id, view(i)]));
const AT = "2026-01-01T00:00:00.000Z";

describe("changeEntries", () => {
  const cases: { name: string; before: Instance[]; after: Instance[]; want: ChangeEntry[] }[] = [
    { name: "nothing changed", before: [inst("h1:web")], after: [inst("h1:web")], want: [] },
    { name: "added: registered with its health", before: [], after: [inst("h1:web", { health: "warning" })], want: [{ at: AT, kind: "registered", id: "h1:web", service: "web", host: "h1", container: "web-1", health: "warning" }] },
    { name: "health changed: from and to", before: [inst("h1:web")], after: [inst("h1:web", { health: "critical" })], want: [{ at: AT, kind: "health", id: "h1:web", service: "web", host: "h1", container: "web-1", health: "critical", from: "passing" }] },
    { name: "other field changed: updated", before: [inst("h1:web")], after: [inst("h1:web", { port: 81 })], want: [{ at: AT, kind: "updated", id: "h1:web", service: "web", host: "h1", container: "web-1", health: "passing" }] },
    { name: "removed: still named from the view before", before: [inst("h2:db")], after: [], want: [{ at: AT, kind: "deregistered", id: "h2:db", service: "db", host: "h2", container: "db-1" }] },
    { name: "without a container", before: [], after: [inst("h1:web", { container: undefined })], want: [{ at: AT, kind: "registered", id: "h1:web", service: "web", host: "h1", health: "passing" }] },
  ];
  for (const [i, c] of cases.entries()) {
    it(`${i}_${c.name}`, () => {
      const prev = map(c.before);
      const next = map(c.after);
      const d = diffInstances(prev, next, (a, b) => JSON.stringify(a) === JSON.stringify(b));
      expect(changeEntries(prev, d, AT)).toEqual(c.want);
    });
  }
});

describe("RecentChanges", () => {
  it("0_keeps the newest, lists newest first, honours limit", () => {
    const r = new RecentChanges(3);
    r.add([1, 2].map((n) => ({ at: String(n), kind: "registered", host: "h" })));
    r.add([3, 4].map((n) => ({ at: String(n), kind: "registered", host: "h" })));
    expect(r.list().map((e) => e.at)).toEqual(["4", "3", "2"]);
    expect(r.list(1).map((e) => e.at)).toEqual(["4"]);
    expect(r.list(0)).toEqual([]);
  });
});

describe("CatalogState's recent changes", () => {
  it("0_the first snapshot is no change; later ones are, and a refusal joins them and the stream", () => {
    let now = 0;
    const s = new CatalogState({ boot: "b", clock: () => now });
    s.apply({ version: 1, instances: [inst("h1:web"), inst("h1:db")] });
    expect(s.recentChanges()).toEqual([]);
    now = 1000;
    const e = s.apply({ version: 2, instances: [inst("h1:web", { health: "critical" })] });
    expect(e?.type === "change" && e.data.changes.map((c) => `${c.kind} ${c.id} ${c.container}`)).toEqual(["health h1:web web-1", "deregistered h1:db db-1"]);
    now = 2000;
    const seen: string[] = [];
    s.subscribe((ev) => seen.push(ev.type));
    s.refused({ container: "bad", port: "80/tcp", key: "SERVICE_NAME", reason: "not a DNS label" }, "h1");
    expect(seen).toEqual(["refused"]);
    expect(s.recentChanges().map((c) => [c.at, c.kind, c.container])).toEqual([
      [new Date(2000).toISOString(), "refused", "bad"],
      [new Date(1000).toISOString(), "deregistered", "db-1"],
      [new Date(1000).toISOString(), "health", "web-1"],
    ]);
  });
});

describe("hostsOf", () => {
  it("0_groups by owner with counts and services", () => {
    expect(hostsOf([inst("h2:web"), inst("h1:web", { health: "critical" }), inst("h1:db")])).toEqual([
      { host: "h1", instances: 2, passing: 1, warning: 0, critical: 1, services: ["db", "web"] },
      { host: "h2", instances: 1, passing: 1, warning: 0, critical: 0, services: ["web"] },
    ]);
  });
});
