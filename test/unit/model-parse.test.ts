// parseInstance checks anything that claims to be an instance (a backend's entry, a remote catalog's, one the
// registrator built): a copy with the model's fields only, or the first problem with its path.
import { describe, expect, it } from "vitest";
import { MAX_META_KEYS, parseChecks, parseInstance, type Instance } from "../../src/core/model.js";

const good: Instance = {
  id: "h1:web:80",
  name: "web",
  address: "10.0.0.1",
  port: 80,
  protocol: "tcp",
  tags: ["a"],
  meta: { version: "1" },
  checks: [{ type: "http", target: "http://10.0.0.1/", intervalMs: 1000 }],
  health: "passing",
  owner: "h1",
};

describe("parseInstance takes the model's instances", () => {
  it("0_a full instance, copied", () => {
    const full: Instance = { ...good, container: { id: "c1", name: "web" }, enableTagOverride: true, checkOutput: "ok", registeredAt: "2026-01-01T00:00:00Z" };
    const r = parseInstance(full);
    expect(r).toEqual({ ok: true, value: full });
    expect(r.ok && r.value).not.toBe(full);
  });
  it("1_a port-less instance", () => {
    expect(parseInstance({ ...good, port: null }).ok).toBe(true);
  });
  it("2_fields outside the model are left out, as are optional ones given as undefined", () => {
    const r = parseInstance({ ...good, extra: 1, checks: [{ type: "ttl", intervalMs: 5, other: true }], container: undefined });
    expect(r.ok && r.value).toEqual({ ...good, checks: [{ type: "ttl", intervalMs: 5 }] });
    expect(r.ok && Object.keys(r.value)).not.toContain("container");
  });
});

const bad: Array<{ case: string; raw: unknown; path: string }> = [
  { case: "not an object", raw: [], path: "instance" },
  { case: "empty id", raw: { ...good, id: "" }, path: "id" },
  { case: "id too long", raw: { ...good, id: "x".repeat(513) }, path: "id" },
  { case: "name no DNS label", raw: { ...good, name: "-web" }, path: "name" },
  { case: "port 0", raw: { ...good, port: 0 }, path: "port" },
  { case: "port a fraction", raw: { ...good, port: 80.5 }, path: "port" },
  { case: "port missing", raw: { ...good, port: undefined }, path: "port" },
  { case: "protocol sctp", raw: { ...good, protocol: "sctp" }, path: "protocol" },
  { case: "tag too long", raw: { ...good, tags: ["a", "t".repeat(256)] }, path: "tags.1" },
  { case: "meta value a number", raw: { ...good, meta: { version: 1 } }, path: "meta.version" },
  { case: "too many meta keys", raw: { ...good, meta: Object.fromEntries(Array.from({ length: MAX_META_KEYS + 1 }, (_, n) => [`k${n}`, "v"])) }, path: "meta" },
  { case: "check type", raw: { ...good, checks: [{ type: "grpc" }] }, path: "checks.0.type" },
  { case: "check interval 0", raw: { ...good, checks: [{ type: "http", intervalMs: 0 }] }, path: "checks.0.intervalMs" },
  { case: "health unknown", raw: { ...good, health: "ok" }, path: "health" },
  { case: "empty owner", raw: { ...good, owner: "" }, path: "owner" },
  { case: "container without name", raw: { ...good, container: { id: "c1" } }, path: "container.name" },
  { case: "check output too long", raw: { ...good, checkOutput: "x".repeat(1025) }, path: "checkOutput" },
];

describe("parseInstance refuses what is not an instance, naming the field", () => {
  bad.forEach((c, i) => {
    it(`${i}_${c.case}`, () => {
      const r = parseInstance(c.raw);
      expect(r.ok).toBe(false);
      expect(!r.ok && r.path).toBe(c.path);
      expect(!r.ok && r.message).toMatch(/^must /);
    });
  });
});

describe("parseChecks", () => {
  it("0_a list of checks", () => {
    expect(parseChecks([{ type: "tcp", target: "h:1", tlsSkipVerify: false }])).toEqual({ ok: true, value: [{ type: "tcp", target: "h:1", tlsSkipVerify: false }] });
  });
  it("1_not a list", () => {
    expect(parseChecks({})).toMatchObject({ ok: false, path: "checks" });
  });
});
