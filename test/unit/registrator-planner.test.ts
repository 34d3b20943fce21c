import { describe, expect, it } from "vitest";
import type { Instance } from "../../src/core/model.js";
import { plan } from "../../src/registrator/planner.js";

function inst(id: string, over: Partial<Instance> = {}): Instance {
  return { id, name: "web", address: "127.0.0.1", port: 8080, protocol: "tcp", tags: [], meta: {}, checks: [], health: "passing", owner: "h1", ...over };
}

const cases: Array<{ case: string; desired: Instance[]; current: Instance[]; mayRemove?: boolean; ops: string[] }> = [
  { case: "nothing", desired: [], current: [], ops: [] },
  { case: "unchanged is no write", desired: [inst("a")], current: [inst("a")], ops: [] },
  { case: "meta order does not matter", desired: [inst("a", { meta: { x: "1", y: "2" } })], current: [inst("a", { meta: { y: "2", x: "1" } })], ops: [] },
  { case: "check key order does not matter", desired: [inst("a", { checks: [{ type: "http", target: "u", intervalMs: 1 }] })], current: [inst("a", { checks: [{ intervalMs: 1, target: "u", type: "http" }] })], ops: [] },
  { case: "new", desired: [inst("a")], current: [], ops: ["register:a:new"] },
  { case: "changed port", desired: [inst("a", { port: 1 })], current: [inst("a")], ops: ["register:a:changed"] },
  { case: "changed tags", desired: [inst("a", { tags: ["x"] })], current: [inst("a")], ops: ["register:a:changed"] },
  { case: "health only", desired: [inst("a", { health: "critical" })], current: [inst("a")], ops: ["set-health:a:critical"] },
  { case: "gone, removable", desired: [], current: [inst("a")], ops: ["deregister:a:gone"] },
  { case: "gone, not removable", desired: [], current: [inst("a")], mayRemove: false, ops: [] },
  { case: "mixed", desired: [inst("a"), inst("b", { port: 2 })], current: [inst("b"), inst("c")], ops: ["register:a:new", "register:b:changed", "deregister:c:gone"] },
];

describe("plan", () => {
  cases.forEach((c, i) => {
    it(`${i}_${c.case}`, () => {
      const ops = plan(c.desired, c.current, { mayRemove: () => c.mayRemove ?? true }).map((op) =>
        op.type === "register" ? `register:${op.instance.id}:${op.reason}` : op.type === "deregister" ? `deregister:${op.ref.id}:${op.reason}` : `set-health:${op.ref.id}:${op.health}`,
      );
      expect(ops).toEqual(c.ops);
    });
  });
});
