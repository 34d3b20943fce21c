import { describe, expect, it } from "vitest";
import type { Check, Instance } from "../../src/core/model.js";
import {
  aggregateHealth,
  decodeCheck,
  encodeCheck,
  formatDuration,
  healthCheckId,
  META,
  toInstance,
  toRegistration,
  userCheckId,
} from "../../adapters/consul/mapping.js";
import type { ConsulCheckState, ConsulService, ConsulServiceRegistration } from "../../adapters/consul/types.js";

const TTL = { healthTtlMs: 600_000 };

function inst(over: Partial<Instance> = {}): Instance {
  return {
    id: "host1:web:80",
    name: "web",
    address: "10.0.0.5",
    port: 8080,
    protocol: "tcp",
    tags: ["blue", "v2"],
    meta: { team: "core" },
    checks: [],
    health: "passing",
    owner: "host1",
    ...over,
  };
}

function registration(i: Instance): ConsulServiceRegistration {
  const r = toRegistration(i, TTL);
  if (!r.ok) throw new Error(r.problems.map((p) => p.reason).join("; "));
  return r.registration;
}

/** What a Consul 1.21 agent hands back for a registration (/v1/agent/services + /v1/agent/checks): no targets. */
function agentView(reg: ConsulServiceRegistration): { service: ConsulService; checks: ConsulCheckState[] } {
  return {
    service: { ID: reg.ID, Service: reg.Name, Tags: reg.Tags, Meta: reg.Meta, Address: reg.Address, Port: reg.Port },
    checks: reg.Checks.map((c) => ({
      CheckID: c.CheckID,
      Name: c.Name,
      Status: c.Status ?? "critical",
      ServiceID: reg.ID,
      ServiceName: reg.Name,
      Type: c.TTL ? "ttl" : c.HTTP ? "http" : "tcp",
      Interval: c.Interval ?? "",
      Timeout: c.Timeout ?? "",
    })),
  };
}

const httpCheck: Check = { type: "http", target: "http://10.0.0.5:8080/health", intervalMs: 5000, timeoutMs: 1500 };

describe("toRegistration", () => {
  const cases: { name: string; instance: Instance; expect: Partial<ConsulServiceRegistration> }[] = [
    {
      name: "plain",
      instance: inst(),
      expect: {
        ID: "host1:web:80",
        Name: "web",
        Address: "10.0.0.5",
        Port: 8080,
        Tags: ["blue", "v2"],
        Meta: { team: "core", portolan_owner: "host1", portolan_protocol: "tcp" },
        Checks: [
          {
            CheckID: "portolan:host1:web:80:health",
            Name: "Docker health",
            Notes: expect.any(String) as string,
            TTL: "10m",
            Status: "passing",
          },
        ],
      },
    },
    {
      name: "udp_container_critical",
      instance: inst({ protocol: "udp", container: { id: "abc123", name: "web" }, health: "critical" }),
      expect: {
        Meta: {
          team: "core",
          portolan_owner: "host1",
          portolan_protocol: "udp",
          portolan_container_id: "abc123",
          portolan_container_name: "web",
        },
      },
    },
    {
      name: "http_check",
      instance: inst({ checks: [{ ...httpCheck, tlsSkipVerify: true, initialStatus: "warning", deregisterAfterMs: 90_000 }] }),
      expect: {
        Checks: [
          {
            CheckID: "portolan:host1:web:80:check-0",
            Name: "HTTP check 0",
            HTTP: "http://10.0.0.5:8080/health",
            Interval: "5s",
            Timeout: "1500ms",
            TLSSkipVerify: true,
            Status: "warning",
            DeregisterCriticalServiceAfter: "90s",
          },
          expect.objectContaining({ CheckID: "portolan:host1:web:80:health" }) as never,
        ],
      },
    },
    {
      name: "tcp_default_interval_and_ttl",
      instance: inst({ checks: [{ type: "tcp", target: "10.0.0.5:8080" }, { type: "ttl", intervalMs: 30_000 }] }),
      expect: {
        Checks: [
          { CheckID: "portolan:host1:web:80:check-0", Name: "TCP check 0", TCP: "10.0.0.5:8080", Interval: "10s" },
          { CheckID: "portolan:host1:web:80:check-1", Name: "TTL check 1", TTL: "30s" },
          expect.objectContaining({ CheckID: "portolan:host1:web:80:health" }) as never,
        ],
      },
    },
  ];
  // A TTL check starts with the instance's health (Consul's default is critical until the first heartbeat, half a
  // TTL later); SERVICE_CHECK_INITIAL_STATUS wins; a probing check without one keeps Consul's default.
  const statusCases: { name: string; instance: Instance; status: Array<string | undefined> }[] = [
    { name: "ttl_passing_when_healthy", instance: inst({ checks: [{ type: "ttl", intervalMs: 20_000 }] }), status: ["passing", "passing"] },
    { name: "ttl_warning_when_starting", instance: inst({ health: "warning", checks: [{ type: "ttl", intervalMs: 20_000 }] }), status: ["warning", "warning"] },
    { name: "ttl_critical_when_unhealthy", instance: inst({ health: "critical", checks: [{ type: "ttl", intervalMs: 20_000 }] }), status: ["critical", "critical"] },
    { name: "ttl_initial_status_wins", instance: inst({ checks: [{ type: "ttl", intervalMs: 20_000, initialStatus: "critical" }] }), status: ["critical", "passing"] },
    { name: "tcp_without_initial_status_unset", instance: inst({ checks: [{ type: "tcp", target: "10.0.0.5:8080" }, { type: "ttl", intervalMs: 5_000 }] }), status: [undefined, "passing", "passing"] },
  ];
  statusCases.forEach((c, i) =>
    it(`${cases.length + i}_${c.name}`, () => {
      expect(registration(c.instance).Checks.map((d) => d.Status)).toEqual(c.status);
    }),
  );
  cases.forEach((c, i) =>
    it(`${i}_${c.name}`, () => {
      expect(registration(c.instance)).toMatchObject(c.expect);
      if (c.expect.Meta) expect(registration(c.instance).Meta).toEqual(c.expect.Meta);
    }),
  );
});

describe("toRegistration rejects what Consul would refuse", () => {
  const cases: { name: string; instance: Instance; problem: RegExp }[] = [
    { name: "dot_in_meta_key", instance: inst({ meta: { "a.b": "x" } }), problem: /"a\.b".*letters/ },
    { name: "long_meta_key", instance: inst({ meta: { ["k".repeat(129)]: "x" } }), problem: /longer than 128/ },
    { name: "long_meta_value", instance: inst({ meta: { k: "v".repeat(513) } }), problem: /value longer than 512/ },
    {
      name: "too_many_meta_keys",
      instance: inst({ meta: Object.fromEntries(Array.from({ length: 62 }, (_, n) => [`k${n}`, "v"])), checks: [{ type: "ttl", intervalMs: 1 }] }),
      problem: /65 meta keys/,
    },
    { name: "reserved_portolan", instance: inst({ meta: { portolan_owner: "x" } }), problem: /reserved/ },
    { name: "reserved_consul", instance: inst({ meta: { "consul-version": "x" } }), problem: /reserved/ },
    { name: "http_without_target", instance: inst({ checks: [{ type: "http" }] }), problem: /needs a target/ },
    { name: "ttl_without_ttl", instance: inst({ checks: [{ type: "ttl" }] }), problem: /needs intervalMs/ },
    { name: "ttl_with_target", instance: inst({ checks: [{ type: "ttl", intervalMs: 1000, target: "x:1" }] }), problem: /no target/ },
    {
      name: "check_url_too_long",
      instance: inst({ checks: [{ type: "http", target: `http://h/${"p".repeat(500)}` }] }),
      problem: /portolan_check_0.*512/,
    },
    { name: "id_dotdot_consul_answers_307", instance: inst({ id: ".." }), problem: /relative path component/ },
    { name: "id_dot", instance: inst({ id: "." }), problem: /relative path component/ },
    { name: "id_slash", instance: inst({ id: "a/b" }), problem: /cannot address/ },
    { name: "id_query", instance: inst({ id: "a?b" }), problem: /cannot address/ },
    { name: "id_zero_width_space_consul_answers_400", instance: inst({ id: "a\u200bb" }), problem: /U\+200B/ },
    { name: "id_bidi_override", instance: inst({ id: "\u202eevil" }), problem: /U\+202E/ },
    { name: "id_soft_hyphen", instance: inst({ id: "a\u00adb" }), problem: /U\+00AD/ },
    { name: "id_byte_order_mark", instance: inst({ id: "\ufeffa" }), problem: /cannot address/ },
    { name: "id_private_use", instance: inst({ id: "a\ue000" }), problem: /U\+E000/ },
    { name: "id_nbsp", instance: inst({ id: "a\u00a0b" }), problem: /cannot address/ },
    { name: "deregister_after_below_consul_minimum", instance: inst({ checks: [{ type: "ttl", intervalMs: 10_000, deregisterAfterMs: 30_000 }] }), problem: /minimum of 60000/ },
    { name: "duration_go_cannot_parse", instance: inst({ checks: [{ type: "ttl", intervalMs: 1e13 }] }), problem: /above the maximum/ },
    {
      name: "container_name_too_long",
      instance: inst({ container: { id: "a", name: "n".repeat(600) } }),
      problem: /portolan_container_name.*512/,
    },
  ];
  cases.forEach((c, i) =>
    it(`${i}_${c.name}`, () => {
      const r = toRegistration(c.instance, TTL);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.problems.map((p) => p.reason).join("\n")).toMatch(c.problem);
    }),
  );
});

describe("round trip through the agent view is lossless", () => {
  const cases: { name: string; instance: Instance }[] = [
    { name: "plain", instance: inst() },
    { name: "no_tags_no_meta", instance: inst({ tags: [], meta: {} }) },
    { name: "udp_container", instance: inst({ protocol: "udp", container: { id: "c0ffee", name: "dns" } }) },
    { name: "warning_health", instance: inst({ health: "warning" }) },
    { name: "http_check_sub_second_timeout", instance: inst({ checks: [httpCheck] }) },
    { name: "https_skip_verify", instance: inst({ checks: [{ type: "https", target: "https://h:8443/", tlsSkipVerify: false }] }) },
    {
      name: "all_check_kinds",
      instance: inst({
        checks: [
          { type: "tcp", target: "10.0.0.5:8080", initialStatus: "passing", deregisterAfterMs: 60_000 },
          { type: "ttl", intervalMs: 15_000 },
          httpCheck,
        ],
      }),
    },
    { name: "ipv6", instance: inst({ address: "fd00::5", meta: { "x-y_z": "" } }) },
  ];
  cases.forEach((c, i) =>
    it(`${i}_${c.name}`, () => {
      const view = agentView(registration(c.instance));
      const back = toInstance(view.service, view.checks, { nodeName: "node-a", health: "ttl" });
      expect(back).toStrictEqual(c.instance);
    }),
  );

  it("user check rewritten with another type shows as drift", () => {
    const i = inst({ checks: [httpCheck] });
    const view = agentView(registration(i));
    const checks = view.checks.map((c) => (c.CheckID === userCheckId(i.id, 0) ? { ...c, Type: "tcp" } : c));
    expect(toInstance(view.service, checks, { nodeName: "n", health: "ttl" }).checks).toEqual([]);
  });

  it("missing user check in Consul shows as drift", () => {
    const i = inst({ checks: [httpCheck] });
    const view = agentView(registration(i));
    const checks = view.checks.filter((c) => c.CheckID !== userCheckId(i.id, 0));
    expect(toInstance(view.service, checks, { nodeName: "n", health: "ttl" }).checks).toEqual([]);
  });

  it("missing health check reads as critical", () => {
    const view = agentView(registration(inst()));
    const checks = view.checks.filter((c) => c.CheckID !== healthCheckId("host1:web:80"));
    expect(toInstance(view.service, checks, { nodeName: "n", health: "ttl" }).health).toBe("critical");
  });
});

describe("toInstance of foreign entries", () => {
  const svc: ConsulService = { ID: "redis-1", Service: "redis", Tags: null, Meta: null, Address: "", Port: 6379 };
  const check = (over: Partial<ConsulCheckState>): ConsulCheckState => ({
    CheckID: "service:redis-1",
    Status: "passing",
    ServiceID: "redis-1",
    ServiceName: "redis",
    ...over,
  });
  const cases: { name: string; checks: ConsulCheckState[]; expect: Partial<Instance> }[] = [
    { name: "no_checks", checks: [], expect: { health: "passing", checks: [], owner: "node-b", address: "10.1.1.1", meta: {}, tags: [] } },
    {
      name: "node_check_critical",
      checks: [check({ CheckID: "serfHealth", ServiceID: "", ServiceName: "", Status: "critical" })],
      expect: { health: "critical", checks: [] },
    },
    {
      name: "tcp_check_warning",
      checks: [check({ Type: "tcp", Status: "warning", Interval: "10s", Timeout: "1.5s" })],
      expect: { health: "warning", checks: [{ type: "tcp", intervalMs: 10_000, timeoutMs: 1500 }] },
    },
    {
      name: "http_and_maintenance",
      checks: [
        check({ Type: "http", Interval: "1m0s", Timeout: "" }),
        check({ CheckID: "_service_maintenance:redis-1", Status: "critical", Type: "maintenance" }),
      ],
      expect: { health: "critical", checks: [{ type: "http", intervalMs: 60_000 }] },
    },
  ];
  cases.forEach((c, i) =>
    it(`${i}_${c.name}`, () => {
      const got = toInstance(svc, c.checks, { nodeName: "node-b", nodeAddress: "10.1.1.1", health: "aggregate" });
      expect(got).toMatchObject({ id: "redis-1", name: "redis", port: 6379, protocol: "tcp", ...c.expect });
      expect(got.container).toBeUndefined();
    }),
  );

  it("portolan entry seen by watch: owner from meta, health aggregated with node checks", () => {
    const i = inst({ checks: [httpCheck] });
    const view = agentView(registration(i));
    const serf = { CheckID: "serfHealth", Status: "critical", ServiceID: "", ServiceName: "" };
    const got = toInstance(view.service, [...view.checks, serf], { nodeName: "other", health: "aggregate" });
    expect(got).toStrictEqual({ ...i, health: "critical" });
    expect(got.meta[META.owner]).toBeUndefined();
  });
});

describe("helpers", () => {
  const durations: [number, string][] = [
    [10_000, "10s"],
    [1500, "1500ms"],
    [60_000, "1m"],
    [90_000, "90s"],
    [7_200_000, "2h"],
    [1, "1ms"],
  ];
  durations.forEach(([ms, text], i) => it(`${i}_duration_${text}`, () => expect(formatDuration(ms)).toBe(text)));

  const healths: [string[], string][] = [
    [[], "passing"],
    [["passing", "passing"], "passing"],
    [["passing", "warning"], "warning"],
    [["warning", "critical", "passing"], "critical"],
    [["maintenance"], "critical"],
  ];
  healths.forEach(([s, h], i) => it(`${i}_aggregate_${h}`, () => expect(aggregateHealth(s)).toBe(h)));

  const encoded: [string, Check][] = [
    ["full", { type: "http", target: "http://x/", intervalMs: 1, timeoutMs: 2, initialStatus: "critical", deregisterAfterMs: 3, tlsSkipVerify: false }],
    ["ttl", { type: "ttl", intervalMs: 30_000 }],
    ["tcp_bare", { type: "tcp", target: "h:1" }],
  ];
  encoded.forEach(([name, check], i) =>
    it(`${i}_check_codec_${name}`, () => expect(decodeCheck(encodeCheck(check))).toStrictEqual(check)),
  );

  const bad = ["", "{", "{}", '{"t":"grpc"}', "[1]", "null"];
  bad.forEach((text, i) => it(`${i}_check_codec_rejects_${JSON.stringify(text)}`, () => expect(decodeCheck(text)).toBeUndefined()));
});
