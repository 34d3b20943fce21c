// SERVICE_* metadata parsing, port choice and check building, unit by unit. Pure.
import { describe, expect, it } from "vitest";
import { chooseBinding, chooseNetwork, portCandidates, type Binding } from "../../src/docker/address.js";
import { buildChecks } from "../../src/docker/checks.js";
import { buildMeta, metadataForPort, readServiceMetadata, splitTags, type PortEntry } from "../../src/docker/metadata.js";
import { MetadataRefusal, quote } from "../../src/docker/refusal.js";
import { fakeInspect, ports } from "./fixtures/container.js";

describe("splitTags", () => {
  const table: Array<[string, string[]]> = [
    ["", []],
    ["a", ["a"]],
    ["a,b", ["a", "b"]],
    [",a,,b,", ["a", "b"]],
    [" a , b ", ["a", "b"]],
    ["a\\,b,c", ["a,b", "c"]],
    ["\\,", [","]],
    ["a\\b", ["a\\b"]],
    ["x=1,y=2", ["x=1", "y=2"]],
  ];
  table.forEach(([text, want], i) => {
    it(`${i}_${JSON.stringify(text)}`, () => expect(splitTags(text)).toEqual(want));
  });
});

describe("readServiceMetadata + metadataForPort", () => {
  type Row = [name: string, env: string[], labels: Record<string, string>, port: string, want: Record<string, [string, string, boolean]>];
  // want: attr -> [value, original key, fromPort]
  const table: Row[] = [
    ["only_service_prefix", ["PATH=/bin", "SERVICE_NAME=web", "XSERVICE_NAME=no"], {}, "80", { name: ["web", "SERVICE_NAME", false] }],
    ["lower_case_prefix_read", ["service_name=web"], {}, "80", { name: ["web", "service_name", false] }],
    ["whitespace_value_unset", ["SERVICE_NAME=  "], { SERVICE_80_NAME: "\t" }, "80", {}],
    ["label_beats_env", ["SERVICE_NAME=env"], { SERVICE_NAME: "label" }, "80", { name: ["label", "SERVICE_NAME", false] }],
    ["port_beats_generic", ["SERVICE_80_NAME=p"], { SERVICE_NAME: "g" }, "80", { name: ["p", "SERVICE_80_NAME", true] }],
    ["other_port_ignored", ["SERVICE_443_NAME=p"], { SERVICE_NAME: "g" }, "80", { name: ["g", "SERVICE_NAME", false] }],
    ["leading_zero_port", ["SERVICE_080_NAME=p"], {}, "80", { name: ["p", "SERVICE_080_NAME", true] }],
    ["lower_cased_attr", ["SERVICE_Check_HTTP=/"], {}, "80", { check_http: ["/", "SERVICE_Check_HTTP", false] }],
    ["case_collision_deterministic", ["SERVICE_name=b", "SERVICE_NAME=a"], {}, "80", { name: ["b", "SERVICE_name", false] }],
    ["empty_value_unset", ["SERVICE_NAME="], { SERVICE_80_NAME: "" }, "80", {}],
    ["value_with_equals", ["SERVICE_TAGS=a=b,c=d"], {}, "80", { tags: ["a=b,c=d", "SERVICE_TAGS", false] }],
    ["bare_port_and_prefix_ignored", ["SERVICE_80=x", "SERVICE_=y", "NOEQUALS"], {}, "80", {}],
  ];
  table.forEach(([name, env, labels, port, want], i) => {
    it(`${i}_${name}`, () => {
      const got = metadataForPort(readServiceMetadata(env, labels), port);
      const flat = Object.fromEntries([...got].map(([k, e]) => [k, [e.value, e.key, e.fromPort]]));
      expect(flat).toEqual(want);
    });
  });
  it(`${table.length}_null_inputs`, () => {
    const md = readServiceMetadata(null, null);
    expect(md.generic.size + md.byPort.size).toBe(0);
  });
});

function entries(rec: Record<string, string>): Map<string, PortEntry> {
  return new Map(Object.entries(rec).map(([k, v]) => [k, { value: v, key: `SERVICE_${k.toUpperCase()}`, source: "env", fromPort: false }]));
}

describe("buildMeta", () => {
  it("0_control_attrs_excluded_keys_sorted", () => {
    const got = buildMeta(entries({ zone: "eu", name: "x", tags: "t", id: "i", ignore: "", network: "n", check_grpc: "1", app: "a" }));
    expect(got).toEqual({ app: "a", zone: "eu" });
    expect(Object.keys(got)).toEqual(["app", "zone"]);
  });
  it("1_bad_key_named", () => {
    expect(() => buildMeta(entries({ "a b": "x" }))).toThrow(expect.objectContaining({ name: "MetadataRefusal", key: "SERVICE_A B", reason: expect.any(String) }));
    expect(() => buildMeta(entries({ "a b": "x" }))).toThrow(MetadataRefusal);
  });
});

describe("chooseNetwork", () => {
  const req = (value: string): PortEntry => ({ value, key: "SERVICE_NETWORK", source: "label", fromPort: false });
  const table: Array<[string, string[], PortEntry | undefined, string | undefined, string]> = [
    ["requested", ["bridge", "zeta"], req("zeta"), "bridge", "zeta"],
    ["requested_missing", ["bridge"], req("zeta"), undefined, "!SERVICE_NETWORK"],
    ["default_option", ["bridge", "mid"], undefined, "mid", "mid"],
    ["flag_network_not_attached", ["bridge", "mid"], undefined, "zeta", "!--network"],
    ["requested_beats_flag_network", ["bridge", "mid"], req("bridge"), "zeta", "bridge"],
    ["bridge", ["zeta", "bridge", "alpha"], undefined, undefined, "bridge"],
    ["alphabetical", ["zeta", "alpha", "mid"], undefined, undefined, "alpha"],
    ["none", [], undefined, undefined, "!NetworkSettings.Networks"],
  ];
  table.forEach(([name, nets, requested, def, want], i) => {
    it(`${i}_${name}`, () => {
      let got: string;
      try {
        got = chooseNetwork(nets, requested, def);
      } catch (err) {
        got = `!${(err as MetadataRefusal).key}`;
      }
      expect(got).toBe(want);
    });
  });
});

describe("chooseBinding", () => {
  const b = (hostIp: string, hostPort = "1"): Binding => ({ hostIp, hostPort });
  const table: Array<[string, Binding[], string | undefined]> = [
    ["empty", [], undefined],
    ["v6_wild_then_v4_wild", [b("::"), b("0.0.0.0")], "0.0.0.0"],
    ["v4_specific_first", [b("0.0.0.0"), b("::1"), b("10.0.0.1")], "10.0.0.1"],
    ["v6_specific_before_v6_wild", [b("::"), b("fd00::1")], "fd00::1"],
    ["stable_for_equal_rank", [b("10.0.0.2"), b("10.0.0.1")], "10.0.0.2"],
  ];
  table.forEach(([name, list, want], i) => {
    it(`${i}_${name}`, () => expect(chooseBinding(list)?.hostIp).toBe(want));
  });
});

describe("portCandidates", () => {
  it("0_sorted_numeric_tcp_before_udp_whatever_key_order", () => {
    const info = fakeInspect(ports({ "9000/udp": null, "53/udp": null, "8080/tcp": null, "53/tcp": null, "132/sctp": null }));
    const got = portCandidates(info);
    expect(got.candidates.map((c) => c.key)).toEqual(["53/tcp", "53/udp", "8080/tcp", "9000/udp"]);
    expect(got.unsupported).toEqual(["132/sctp"]);
  });
  it("1_live_bindings_beat_configured", () => {
    const info = fakeInspect(ports({ "80/tcp": [["0.0.0.0", "32768"]] }), { HostConfig: { PortBindings: { "80/tcp": [{ HostIp: "", HostPort: "" }] } } });
    expect(portCandidates(info).candidates[0]?.bindings).toEqual([{ hostIp: "0.0.0.0", hostPort: "32768" }]);
  });
});

describe("buildChecks", () => {
  it("0_no_check_attrs_no_ttl", () => expect(buildChecks(new Map(), "10.0.0.1", 80, undefined)).toEqual([]));
  it("1_ttl_option_only", () => expect(buildChecks(new Map(), "10.0.0.1", 80, 5000)).toEqual([{ check: { type: "ttl", intervalMs: 5000 }, key: "--ttl" }]));
  it("2_ttl_ignores_interval_timeout", () => {
    const got = buildChecks(entries({ check_ttl: "1m", check_timeout: "2s", check_initial_status: "Critical" }), "h", 1, undefined);
    expect(got).toEqual([{ check: { type: "ttl", intervalMs: 60_000, initialStatus: "critical" }, key: "SERVICE_CHECK_TTL" }]);
  });
  it("3_tls_skip_verify_only_on_http", () => {
    const got = buildChecks(entries({ check_tcp: "1", check_tls_skip_verify: "true" }), "h", 1, undefined);
    expect(got).toEqual([{ check: { type: "tcp", target: "h:1", intervalMs: 10_000 }, key: "SERVICE_CHECK_TCP" }]);
  });
});

describe("small helpers", () => {
  it("1_quote_escapes_and_truncates", () => {
    expect(quote("a\nb")).toBe('"a\\nb"');
    expect(quote("x".repeat(100))).toBe(JSON.stringify(`${"x".repeat(77)}...`));
  });
});
