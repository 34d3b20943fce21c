// One case per rule of the SERVICE_TAG_OVERRIDE and SERVICE_META_<KEY> rows of docs/registrator.md's "Container metadata"
// table, so the page and the code agree.
import { describe, expect, it } from "vitest";
import { toInstance, toRegistration } from "../../adapters/consul/mapping.js";
import type { Instance } from "../../src/core/model.js";
import { originKey } from "../../src/docker/mapping.js";
import { registrationKey } from "../../src/registrator/planner.js";
import { env, fakeInspect, labels, ports } from "./fixtures/container.js";
import { mapWith, runMappingCase, type MappingCase } from "./fixtures/mapping-cases.js";

const ONE = ports({ "80/tcp": [["127.0.0.1", "8080"]] });

const cases: MappingCase[] = [
  { name: "tag_override_true", info: fakeInspect(ONE, labels({ SERVICE_TAG_OVERRIDE: "true" })), want: [{ enableTagOverride: true, meta: {} }] },
  { name: "tag_override_one", info: fakeInspect(ONE, env({ SERVICE_TAG_OVERRIDE: "1" })), want: [{ enableTagOverride: true }] },
  { name: "tag_override_false_is_absent", info: fakeInspect(ONE, labels({ SERVICE_TAG_OVERRIDE: "false" })), want: [{ enableTagOverride: undefined, meta: {} }] },
  { name: "tag_override_not_boolean_rejected", info: fakeInspect(ONE, labels({ SERVICE_TAG_OVERRIDE: "yes please" })), want: [], rejected: [["80/tcp", "SERVICE_TAG_OVERRIDE"]] },
  { name: "tag_override_per_port", info: fakeInspect(ONE, labels({ SERVICE_TAG_OVERRIDE: "true", SERVICE_80_TAG_OVERRIDE: "false" })), want: [{ enableTagOverride: undefined }] },
  { name: "meta_prefix_gives_the_key", info: fakeInspect(ONE, labels({ SERVICE_META_VERSION: "2" })), want: [{ meta: { version: "2" } }] },
  { name: "meta_prefix_beats_plain_key", info: fakeInspect(ONE, labels({ SERVICE_VERSION: "1", SERVICE_META_VERSION: "2" })), want: [{ meta: { version: "2" } }] },
  { name: "meta_prefix_frees_control_names", info: fakeInspect(ONE, labels({ SERVICE_META_NAME: "billing", SERVICE_META_CHECK_URL: "/x" })), want: [{ name: "nginx", meta: { check_url: "/x", name: "billing" } }] },
  { name: "meta_prefix_empty_key_rejected", info: fakeInspect(ONE, labels({ SERVICE_META_: "x" })), want: [], rejected: [["80/tcp", "SERVICE_META_"]] },
  { name: "meta_prefix_reserved_rejected", info: fakeInspect(ONE, labels({ SERVICE_META_PORTOLAN_OWNER: "x" })), want: [], rejected: [["80/tcp", "SERVICE_META_PORTOLAN_OWNER"]] },
  { name: "meta_prefix_per_port", info: fakeInspect(ONE, labels({ SERVICE_META_ZONE: "a", SERVICE_80_META_ZONE: "b" })), want: [{ meta: { zone: "b" } }] },
  { name: "meta_prefix_counts_once", info: fakeInspect(ONE, env(Object.fromEntries(Array.from({ length: 64 }, (_, i) => [`SERVICE_META_K${i}`, "v"])))), want: [{ port: 8080 }] },
];

describe("docs/registrator.md tag override and meta rules", () => {
  cases.forEach((c, i) => it(`${i}_${c.name}`, () => void runMappingCase(c)));
});

describe("Consul adapter", () => {
  const base: Instance = { id: "h:web-1:80", name: "web", address: "10.0.0.1", port: 8080, protocol: "tcp", tags: ["a"], meta: {}, checks: [], health: "passing", owner: "h" };
  it("0_enable_tag_override_is_written_and_read_back", () => {
    const r = toRegistration({ ...base, enableTagOverride: true }, { healthTtlMs: 60_000 });
    expect(r.ok && r.registration.EnableTagOverride).toBe(true);
    const back = toInstance({ ID: base.id, Service: "web", Address: "10.0.0.1", Port: 8080, Tags: ["a"], Meta: r.ok ? r.registration.Meta : {}, EnableTagOverride: true }, [], { nodeName: "", health: "ttl" });
    expect(back.enableTagOverride).toBe(true);
    expect(registrationKey({ ...back, health: "passing", checks: [] })).toBe(registrationKey({ ...base, enableTagOverride: true }));
  });
  it("1_without_it_nothing_is_written", () => {
    const r = toRegistration(base, { healthTtlMs: 60_000 });
    expect(r.ok && "EnableTagOverride" in r.registration).toBe(false);
  });
  it("2_too_many_meta_keys_names_the_service_keys", () => {
    const m = mapWith(fakeInspect(ONE, env(Object.fromEntries(Array.from({ length: 61 }, (_, i) => [`SERVICE_META_K${i}`, "v"])))));
    const inst = m.instances[0]!;
    const r = toRegistration(inst, { healthTtlMs: 60_000 });
    expect(r.ok).toBe(false);
    const key = r.ok ? "" : r.problems[0]!.key;
    expect(originKey(m.origins.get(inst.id), key)).toBe("SERVICE_*");
  });
  it("3_value_over_512_names_its_key", () => {
    const m = mapWith(fakeInspect(ONE, labels({ SERVICE_META_BLOB: "v".repeat(513) })));
    const r = toRegistration(m.instances[0]!, { healthTtlMs: 60_000 });
    expect(r.ok ? "" : originKey(m.origins.get(m.instances[0]!.id), r.problems[0]!.key)).toBe("SERVICE_META_BLOB");
  });
});
