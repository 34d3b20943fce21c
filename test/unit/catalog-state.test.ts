// CatalogState: snapshots in, change events out, resumption by Last-Event-ID from a bounded log.
import { describe, expect, it } from "vitest";
import type { Instance } from "../../src/core/model.js";
import { CatalogState } from "../../src/catalog/state.js";
import { prometheusTargets, summarize } from "../../src/catalog/view.js";

function inst(id: string, over: Partial<Instance> = {}): Instance {
  return { id, name: id.split(":")[0]!, address: "10.0.0.1", port: 80, protocol: "tcp", tags: [], meta: {}, checks: [], health: "passing", owner: "h1", ...over };
}

describe("CatalogState", () => {
  it("0_first snapshot loads and emits one change with everything added", () => {
    const s = new CatalogState({ boot: "b", clock: () => 0 });
    const e = s.apply({ version: 1, instances: [inst("web:1"), inst("db:1")] });
    expect(e).toMatchObject({ type: "change", id: "b-1", data: { added: [{ id: "web:1" }, { id: "db:1" }], removed: [] } });
    expect(s.loaded).toBe(true);
    expect(s.instances().map((i) => i.id)).toEqual(["db:1", "web:1"]);
  });

  it("1_unchanged snapshot emits nothing; a changed one emits the difference and keeps since", () => {
    let now = 1000;
    const s = new CatalogState({ boot: "b", clock: () => now });
    s.apply({ version: 1, instances: [inst("web:1"), inst("web:2")] });
    expect(s.apply({ version: 2, instances: [inst("web:1"), inst("web:2")] })).toBeUndefined();
    now = 5000;
    const e = s.apply({ version: 3, instances: [inst("web:1", { health: "critical" }), inst("web:3")] });
    expect(e).toMatchObject({ type: "change", data: { added: [{ id: "web:3" }], changed: [{ id: "web:1", health: "critical" }], removed: ["web:2"] } });
    expect(s.get("web:1")?.since).toBe(new Date(1000).toISOString());
    expect(s.get("web:3")?.since).toBe(new Date(5000).toISOString());
  });

  const cases: { name: string; lastId: string | undefined; want: number[] | undefined }[] = [
    { name: "no id: snapshot", lastId: undefined, want: undefined },
    { name: "other process: snapshot", lastId: "zz-2", want: undefined },
    { name: "garbage: snapshot", lastId: "b-x", want: undefined },
    { name: "from the future: snapshot", lastId: "b-99", want: undefined },
    { name: "up to date: nothing", lastId: "b-5", want: [] },
    { name: "missed two", lastId: "b-3", want: [4, 5] },
    { name: "oldest kept - 1: all kept", lastId: "b-2", want: [3, 4, 5] },
    { name: "older than the log: snapshot", lastId: "b-1", want: undefined },
  ];
  for (const [i, c] of cases.entries()) {
    it(`${i + 2}_eventsAfter ${c.name}`, () => {
      const s = new CatalogState({ boot: "b", eventLog: 3 });
      for (let v = 1; v <= 5; v++) s.apply({ version: v, instances: [inst("web:1", { port: v })] });
      expect(s.eventsAfter(c.lastId)?.map((e) => e.seq)).toEqual(c.want);
    });
  }

  it("10_backend status changes are events; listeners get them", () => {
    const s = new CatalogState({ boot: "b" });
    const got: string[] = [];
    s.subscribe((e) => got.push(`${e.type}:${e.type === "backend" ? e.data.status : ""}`));
    s.setBackend("up");
    s.setBackend("up");
    s.setBackend("down", "refused");
    expect(got).toEqual(["backend:up", "backend:down"]);
    expect(s.snapshotEvent()).toMatchObject({ id: "b-2", backend: "down", loaded: false });
  });
});

describe("views", () => {
  it("0_summaries count health, union tags and hosts", () => {
    const list = [inst("web:1", { tags: ["b"] }), inst("web:2", { health: "critical", tags: ["a", "b"], owner: "h2" }), inst("db:1")];
    expect(summarize(list)).toEqual([
      { name: "db", instances: 1, passing: 1, warning: 0, critical: 0, tags: [], hosts: ["h1"] },
      { name: "web", instances: 2, passing: 1, warning: 0, critical: 1, tags: ["a", "b"], hosts: ["h1", "h2"] },
    ]);
  });

  it("1_prometheus targets: passing only, IPv6 bracketed, labels", () => {
    const list = [inst("web:1", { tags: ["x", "y"], container: { id: "abc", name: "web-1" } }), inst("web:2", { health: "warning" }), inst("v6:1", { address: "fd00::1" })];
    expect(prometheusTargets(list)).toEqual([
      { targets: ["[fd00::1]:80"], labels: { service: "v6", tags: "", host: "h1", container: "", instance_id: "v6:1" } },
      { targets: ["10.0.0.1:80"], labels: { service: "web", tags: ",x,y,", host: "h1", container: "web-1", instance_id: "web:1" } },
    ]);
  });
});
