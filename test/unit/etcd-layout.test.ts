import { describe, expect, it } from "vitest";
import { InstanceRejectedError } from "../../src/core/errors.js";
import type { Instance } from "../../src/core/model.js";
import { EtcdRegistry } from "../../adapters/etcd/registry.js";
import { baseOf, decodeValue, encodeValue, idSegment, keyOf, ownerSegmentPrefix, srvMetaProblem } from "../../adapters/etcd/layout.js";
import { prefixEnd } from "../../adapters/etcd/range.js";

const L = { prefix: "/skydns", zone: "service.consul" };
const BASE: Instance = { id: "host1:web-1:80", name: "web", address: "10.0.0.5", port: 32768, protocol: "tcp", tags: ["blue", "v2"], meta: { version: "2", weight: "7" }, checks: [], health: "passing", owner: "host1" };
const inst = (over: Partial<Instance> = {}): Instance => ({ ...BASE, checks: [{ type: "http", target: "http://10.0.0.5:32768/health", intervalMs: 10_000 }], container: { id: "abc", name: "web-1" }, ...over });

const segments: [string, string, string][] = [
  ["default ID", "host1:web-1:80", "host1_3aweb-1_3a80"],
  ["udp suffix", "h:dns:53:udp", "h_3adns_3a53_3audp"],
  ["upper case escaped (CoreDNS lower-cases questions)", "Host:W:1", "_48ost_3a_57_3a1"],
  ["slash and percent", "a/b%c", "a_2fb_25c"],
  ["underscore and dot", "a_b.c", "a_5fb_2ec"],
  ["non-ASCII as UTF-8 bytes", "é", "_c3_a9"],
];

describe("idSegment", () => {
  segments.forEach(([name, id, want], i) => {
    it(`${i}_${name}`, () => {
      expect(idSegment(id)).toBe(want);
      expect(idSegment(id)).toMatch(/^[a-z0-9_-]{1,63}$/);
    });
  });
  it(`${segments.length}_long IDs stay one DNS label and distinct`, () => {
    const a = idSegment(`host:${"x".repeat(200)}:80`);
    const b = idSegment(`host:${"x".repeat(200)}:81`);
    expect(a).toHaveLength(63);
    expect(b).toHaveLength(63);
    expect(a).not.toBe(b);
    expect(a.startsWith(ownerSegmentPrefix("host"))).toBe(true);
  });
});

describe("keys", () => {
  it("0_zone labels reversed under the prefix, name lower-cased", () => {
    expect(baseOf(L)).toBe("/skydns/consul/service/");
    expect(keyOf(L, { name: "Web", id: "host1:web-1:80" })).toBe("/skydns/consul/service/web/host1_3aweb-1_3a80");
    expect(keyOf({ prefix: "/dns/x", zone: "svc.example.org" }, { name: "db", id: "a" })).toBe("/dns/x/org/example/svc/db/a");
  });
  it("1_prefixEnd is the next key after every key with the prefix", () => {
    expect(prefixEnd("/skydns/").toString()).toBe("/skydns0");
    expect([...prefixEnd("a\u00ff")]).toEqual([0x61, 0xc3, 0xc0]);
  });
});

describe("values", () => {
  it("0_CoreDNS fields: host, port, explicit ttl, priority/weight from meta; the rest under portolan", () => {
    const doc = JSON.parse(encodeValue(inst({ meta: { priority: "1", weight: "7" } }), 10)) as Record<string, unknown>;
    expect(doc).toMatchObject({ host: "10.0.0.5", port: 32768, ttl: 10, priority: 1, weight: 7 });
    expect(doc.portolan).toMatchObject({ id: "host1:web-1:80", owner: "host1", tags: ["blue", "v2"], health: "passing" });
    expect(Object.keys(doc)).toEqual(["host", "port", "ttl", "priority", "weight", "portolan"]);
  });
  it("1_no priority/weight fields without those meta keys", () => {
    const doc = JSON.parse(encodeValue(inst({ meta: {} }), 10)) as Record<string, unknown>;
    expect(doc).not.toHaveProperty("priority");
    expect(doc).not.toHaveProperty("weight");
  });
  it("2_round trip", () => {
    const i = inst();
    expect(decodeValue(L, keyOf(L, i), encodeValue(i, 10))).toEqual({ ok: true, instance: i });
  });
  it("3_a value not written by portolan, or at another key, is not decoded", () => {
    expect(decodeValue(L, "/skydns/consul/service/web/x", '{"host":"1.2.3.4","port":80}').ok).toBe(false);
    expect(decodeValue(L, "/skydns/consul/service/web/x", "not json").ok).toBe(false);
    expect(decodeValue(L, "/skydns/consul/service/web/other", encodeValue(inst(), 10)).ok).toBe(false);
  });
  it("4_priority and weight must be SRV integers", () => {
    expect(srvMetaProblem({ weight: "65535", priority: "0" })).toBeUndefined();
    expect(srvMetaProblem({ weight: "65536" })?.key).toBe("meta.weight");
    expect(srvMetaProblem({ priority: "-1" })?.key).toBe("meta.priority");
  });
});

describe("EtcdRegistry.validate (local, no request)", () => {
  const reg = new EtcdRegistry({ endpoints: [{ host: "127.0.0.1", port: 1 }] });
  const table: [string, Partial<Instance>, string][] = [
    ["slash in ID", { id: "a/b" }, "id"],
    ["dot ID", { id: "." }, "id"],
    ["dotdot ID", { id: ".." }, "id"],
    ["weight not an SRV integer", { meta: { weight: "heavy" } }, "meta.weight"],
    ["reserved meta key (the shared rules first)", { meta: { portolan_owner: "x" } }, "meta.portolan_owner"],
  ];
  table.forEach(([name, over, key], i) => {
    it(`${i}_${name}`, () => {
      let err: unknown;
      try {
        reg.validate(inst(over));
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(InstanceRejectedError);
      expect((err as InstanceRejectedError).key).toBe(key);
    });
  });
  it(`${table.length}_an ordinary instance passes`, () => {
    expect(() => reg.validate(inst())).not.toThrow();
  });
});
