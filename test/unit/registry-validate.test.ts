// The Registry port's validate() and owner rules, on the embedded registry (no server): every refusal is an
// InstanceRejectedError naming the field; another owner's entry is never replaced or removed.
import { describe, expect, it } from "vitest";
import { MemoryRegistry } from "../../adapters/memory/index.js";
import { InstanceRejectedError } from "../../src/core/errors.js";
import type { Instance } from "../../src/core/model.js";

const inst = (over: Partial<Instance> = {}): Instance => ({
  id: "h1:web-1:80", name: "web", address: "10.0.0.5", port: 8080, protocol: "tcp",
  tags: ["a"], meta: { version: "1" }, checks: [], health: "passing", owner: "h1", ...over,
});

describe("validate() refuses with the field at fault", () => {
  const table: Array<[string, Partial<Instance>, string]> = [
    ["name_not_label", { name: "bad_name" }, "name"],
    ["tag_control", { tags: ["a\nb"] }, "tags.0"],
    ["meta_value_control", { meta: { v: "x\r\ny" } }, "meta.v"],
    ["meta_reserved_underscore", { meta: { portolan_owner: "x" } }, "meta.portolan_owner"],
    ["meta_reserved_dot", { meta: { "portolan.owner": "x" } }, "meta.portolan.owner"],
    ["check_target_crlf", { checks: [{ type: "http", target: "http://a/\r\nHost: x", intervalMs: 1000 }] }, "checks.0.target"],
    ["owner_with_separator", { owner: "a:b" }, "owner"],
    ["owner_empty", { owner: "" }, "owner"],
    ["id_empty", { id: "" }, "id"],
    ["too_many_meta", { meta: Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`k${i}`, "v"])) }, "meta"],
  ];
  table.forEach(([name, over, key], i) =>
    it(`${i}_${name}`, () => {
      let err: unknown;
      try {
        new MemoryRegistry().validate(inst(over));
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(InstanceRejectedError);
      expect((err as InstanceRejectedError).key).toBe(key);
    }),
  );
});

describe("owner rules", () => {
  it("0_register over another owner's entry is refused and changes nothing", async () => {
    const r = new MemoryRegistry();
    await r.register(inst({ id: "shared", owner: "h2", container: { id: "v", name: "victim" } }));
    await expect(r.register(inst({ id: "shared", owner: "h1" }))).rejects.toBeInstanceOf(InstanceRejectedError);
    expect((await r.listOwned("h2")).map((i) => i.port)).toEqual([8080]);
    expect(await r.listOwned("h1")).toEqual([]);
  });

  it("1_deregister with an owner never removes another owner's entry", async () => {
    const r = new MemoryRegistry();
    await r.register(inst({ id: "shared", owner: "h2" }));
    await r.deregister({ id: "shared", name: "web", owner: "h1" });
    expect(await r.listOwned("h2")).toHaveLength(1);
    await r.deregister({ id: "shared", name: "web", owner: "h2" });
    expect(await r.listOwned("h2")).toHaveLength(0);
  });
});
