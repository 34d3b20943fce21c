// containerToServices: ports, addresses, networks, IDs and names. Pure; no Docker needed.
import { describe, expect, it } from "vitest";
import { describeRejection, imageBasename } from "../../src/docker/mapping.js";
import { DEFAULT_CONTAINER_ID, endpoint, env, fakeInspect, labels, ports } from "./fixtures/container.js";
import { mapWith, runMappingCase, type MappingCase } from "./fixtures/mapping-cases.js";

const WEB = ports({ "80/tcp": [["0.0.0.0", "8080"]], "443/tcp": [["0.0.0.0", "8443"]] });
const EXPOSED_2 = ports({ "80/tcp": null, "443/tcp": null });
const noBridge = { NetworkSettings: { Networks: { bridge: undefined } } };

const cases: MappingCase[] = [
  {
    name: "published_single_port_full_instance",
    info: fakeInspect(ports({ "80/tcp": [["0.0.0.0", "8080"]] })),
    opts: { hostIp: "10.0.0.5" },
    want: [
      {
        id: "node1:web-1:80",
        name: "nginx",
        address: "10.0.0.5",
        port: 8080,
        protocol: "tcp",
        tags: [],
        meta: {},
        checks: [],
        health: "passing",
        owner: "node1",
        container: { id: DEFAULT_CONTAINER_ID, name: "web-1" },
      },
    ],
  },
  { name: "wildcard_binding_without_ip_is_loopback", info: fakeInspect(ports({ "80/tcp": [["0.0.0.0", "8080"]] })), want: [{ address: "127.0.0.1", port: 8080 }] },
  { name: "empty_host_ip_is_wildcard", info: fakeInspect(ports({ "80/tcp": [["", "8080"]] })), want: [{ address: "127.0.0.1" }] },
  { name: "specific_binding_ip_used", info: fakeInspect(ports({ "80/tcp": [["192.168.1.10", "8080"]] })), want: [{ address: "192.168.1.10" }] },
  {
    name: "ip_flag_beats_specific_binding",
    info: fakeInspect(ports({ "80/tcp": [["127.0.0.1", "8080"]] })),
    opts: { hostIp: "10.0.0.5" },
    want: [{ address: "10.0.0.5" }],
  },
  {
    name: "dual_stack_prefers_ipv4_binding",
    info: fakeInspect(ports({ "80/tcp": [["::", "9090"], ["0.0.0.0", "8080"]] })),
    want: [{ address: "127.0.0.1", port: 8080 }],
  },
  {
    name: "specific_ipv4_before_wildcard",
    info: fakeInspect(ports({ "80/tcp": [["0.0.0.0", "8080"], ["127.0.0.2", "8081"]] })),
    want: [{ address: "127.0.0.2", port: 8081 }],
  },
  { name: "ipv6_binding", info: fakeInspect(ports({ "80/tcp": [["::1", "8080"]] })), want: [{ address: "::1", port: 8080 }] },
  { name: "ipv6_wildcard_only_is_ipv6_loopback", info: fakeInspect(ports({ "80/tcp": [["::", "8080"]] })), want: [{ address: "::1" }] },
  {
    name: "unpublished_port_skipped_and_not_counted",
    info: fakeInspect(ports({ "80/tcp": null, "443/tcp": [["0.0.0.0", "8443"]] })),
    want: [{ id: "node1:web-1:443", name: "nginx", port: 8443 }],
  },
  { name: "no_ports_no_instances", info: fakeInspect(), want: [] },
  {
    name: "port_bindings_fallback_when_ports_missing",
    info: fakeInspect({ Config: { ExposedPorts: { "80/tcp": {} } }, HostConfig: { PortBindings: { "80/tcp": [{ HostIp: "", HostPort: "8080" }] } } }),
    want: [{ port: 8080 }],
  },
  {
    name: "random_host_port_not_yet_assigned_skipped",
    info: fakeInspect({
      Config: { ExposedPorts: { "80/tcp": {} } },
      NetworkSettings: { Ports: { "80/tcp": null } },
      HostConfig: { PortBindings: { "80/tcp": [{ HostIp: "", HostPort: "" }] } },
    }),
    want: [],
  },
  {
    name: "null_env_labels_ports",
    info: fakeInspect({ Config: { Env: null, Labels: null, ExposedPorts: null }, NetworkSettings: { Ports: null }, HostConfig: { PortBindings: null } }),
    want: [],
  },
  {
    name: "several_ports_get_port_suffix_in_port_order",
    info: fakeInspect(ports({ "443/tcp": [["0.0.0.0", "8443"]], "80/tcp": [["0.0.0.0", "8080"]] })),
    want: [
      { name: "nginx-80", id: "node1:web-1:80" },
      { name: "nginx-443", id: "node1:web-1:443" },
    ],
  },
  {
    name: "port_specific_names_no_suffix",
    info: fakeInspect(WEB, env({ SERVICE_80_NAME: "www", SERVICE_443_NAME: "secure" })),
    want: [{ name: "www" }, { name: "secure" }],
  },
  { name: "generic_name_gets_suffix", info: fakeInspect(WEB, env({ SERVICE_NAME: "web" })), want: [{ name: "web-80" }, { name: "web-443" }] },
  {
    name: "generic_and_port_specific_name_mixed",
    info: fakeInspect(WEB, env({ SERVICE_NAME: "web", SERVICE_443_NAME: "tls" })),
    want: [{ name: "web-80" }, { name: "tls" }],
  },
  {
    name: "label_beats_env",
    info: fakeInspect(ports({ "80/tcp": [["0.0.0.0", "8080"]] }), env({ SERVICE_NAME: "fromenv" }), labels({ SERVICE_NAME: "fromlabel" })),
    want: [{ name: "fromlabel" }],
  },
  {
    name: "port_specific_env_beats_generic_label",
    info: fakeInspect(WEB, env({ SERVICE_80_NAME: "portenv" }), labels({ SERVICE_NAME: "generic" })),
    want: [{ name: "portenv" }, { name: "generic-443" }],
  },
  {
    name: "port_label_beats_port_env",
    info: fakeInspect(WEB, env({ SERVICE_80_NAME: "portenv" }), labels({ SERVICE_80_NAME: "portlabel" })),
    want: [{ name: "portlabel" }, { name: "nginx-443" }],
  },
  { name: "attribute_case_insensitive", info: fakeInspect(WEB, env({ SERVICE_Name: "web" })), want: [{ name: "web-80" }, { name: "web-443" }] },
  { name: "empty_value_is_unset", info: fakeInspect(ports({ "80/tcp": [["0.0.0.0", "8080"]] }), env({ SERVICE_NAME: "" })), want: [{ name: "nginx" }] },
  { name: "name_case_kept", info: fakeInspect(ports({ "80/tcp": [["0.0.0.0", "8080"]] }), env({ SERVICE_NAME: "Web" })), want: [{ name: "Web" }] },
  {
    name: "udp_port",
    info: fakeInspect(ports({ "53/udp": [["0.0.0.0", "5353"]] }), env({ SERVICE_NAME: "dns" })),
    want: [{ id: "node1:web-1:53:udp", name: "dns", protocol: "udp", port: 5353, tags: ["udp"] }],
  },
  {
    name: "tcp_and_udp_on_same_port",
    info: fakeInspect(ports({ "53/udp": [["0.0.0.0", "53"]], "53/tcp": [["0.0.0.0", "53"]] }), env({ SERVICE_NAME: "dns" })),
    want: [
      { id: "node1:web-1:53", name: "dns-53", protocol: "tcp", tags: [] },
      { id: "node1:web-1:53:udp", name: "dns-53", protocol: "udp", tags: ["udp"] },
    ],
  },
  { name: "port_without_protocol_is_tcp", info: fakeInspect({ Config: { ExposedPorts: { "80": {} } } }), opts: { internal: true }, want: [{ id: "node1:web-1:80", protocol: "tcp" }] },
  {
    name: "sctp_rejected",
    info: fakeInspect(ports({ "132/sctp": [["0.0.0.0", "132"]], "80/tcp": [["0.0.0.0", "8080"]] })),
    want: [{ port: 8080 }],
    rejected: [["132/sctp", "132/sctp"]],
  },
  // --internal and networks
  { name: "internal_container_ip_exposed_port", info: fakeInspect(ports({ "80/tcp": null })), opts: { internal: true }, want: [{ address: "172.17.0.2", port: 80 }] },
  {
    name: "internal_ignores_published_host_port",
    info: fakeInspect(ports({ "80/tcp": [["0.0.0.0", "8080"]] })),
    opts: { internal: true, hostIp: "10.0.0.5" },
    want: [{ address: "172.17.0.2", port: 80 }],
  },
  { name: "internal_every_exposed_port", info: fakeInspect(EXPOSED_2), opts: { internal: true }, want: [{ name: "nginx-80" }, { name: "nginx-443" }] },
  {
    name: "internal_ipv6_only_network",
    info: fakeInspect(ports({ "80/tcp": null }), noBridge, { NetworkSettings: { Networks: { v6net: endpoint("", { ipv6: "fd00::2" }) } } }),
    opts: { internal: true },
    want: [{ address: "fd00::2", port: 80 }],
  },
  {
    name: "internal_dual_stack_prefers_ipv4",
    info: fakeInspect(ports({ "80/tcp": null }), { NetworkSettings: { Networks: { bridge: endpoint("172.17.0.9", { ipv6: "fd00::9" }) } } }),
    opts: { internal: true },
    want: [{ address: "172.17.0.9" }],
  },
  {
    name: "bridge_preferred_over_alphabetical",
    info: fakeInspect(ports({ "80/tcp": null }), { NetworkSettings: { Networks: { alpha: endpoint("10.1.0.2") } } }),
    opts: { internal: true },
    want: [{ address: "172.17.0.2" }],
  },
  {
    name: "alphabetically_first_without_bridge",
    info: fakeInspect(ports({ "80/tcp": null }), noBridge, { NetworkSettings: { Networks: { zeta: endpoint("10.9.0.2"), alpha: endpoint("10.1.0.2") } } }),
    opts: { internal: true },
    want: [{ address: "10.1.0.2" }],
  },
  {
    name: "network_option_chosen",
    info: fakeInspect(ports({ "80/tcp": null }), { NetworkSettings: { Networks: { zeta: endpoint("10.9.0.2") } } }),
    opts: { internal: true, network: "zeta" },
    want: [{ address: "10.9.0.2" }],
  },
  {
    name: "network_option_not_attached_rejected_like_service_network",
    info: fakeInspect(ports({ "80/tcp": null })),
    opts: { internal: true, network: "zeta" },
    want: [],
    rejected: [["80/tcp", "--network"]],
  },
  {
    name: "network_option_not_attached_service_network_attached_ok",
    info: fakeInspect(ports({ "80/tcp": null }), labels({ SERVICE_NETWORK: "bridge" })),
    opts: { internal: true, network: "zeta" },
    want: [{ address: "172.17.0.2" }],
  },
  {
    name: "network_option_host_network_unaffected",
    info: fakeInspect(ports({ "80/tcp": null }), { HostConfig: { NetworkMode: "host" }, NetworkSettings: { Networks: { bridge: undefined, host: endpoint("") } } }),
    opts: { internal: true, network: "zeta", hostIp: "10.0.0.5" },
    want: [{ address: "10.0.0.5", port: 80 }],
  },
  {
    name: "service_network_beats_option",
    info: fakeInspect(ports({ "80/tcp": null }), labels({ SERVICE_NETWORK: "zeta" }), {
      NetworkSettings: { Networks: { zeta: endpoint("10.9.0.2"), alpha: endpoint("10.1.0.2") } },
    }),
    opts: { internal: true, network: "alpha" },
    want: [{ address: "10.9.0.2" }],
  },
  {
    name: "service_network_per_port",
    info: fakeInspect(EXPOSED_2, env({ SERVICE_443_NETWORK: "zeta" }), { NetworkSettings: { Networks: { zeta: endpoint("10.9.0.2") } } }),
    opts: { internal: true },
    want: [{ address: "172.17.0.2", port: 80 }, { address: "10.9.0.2", port: 443 }],
  },
  {
    name: "service_network_not_attached_rejected",
    info: fakeInspect(ports({ "80/tcp": null }), env({ SERVICE_NETWORK: "nowhere" })),
    opts: { internal: true },
    want: [],
    rejected: [["80/tcp", "SERVICE_NETWORK"]],
  },
  {
    name: "network_none_has_no_address",
    info: fakeInspect(ports({ "80/tcp": null }), noBridge, { HostConfig: { NetworkMode: "none" }, NetworkSettings: { Networks: { none: endpoint("") } } }),
    opts: { internal: true },
    want: [],
    rejected: [["80/tcp", 'NetworkSettings.Networks["none"]']],
  },
  {
    name: "no_network_at_all",
    info: fakeInspect(ports({ "80/tcp": null }), noBridge),
    opts: { internal: true },
    want: [],
    rejected: [["80/tcp", "NetworkSettings.Networks"]],
  },
  {
    name: "container_network_mode_rejected_internal",
    info: fakeInspect(ports({ "80/tcp": null }), noBridge, { HostConfig: { NetworkMode: "container:4f1e2d3c4b5a6978" } }),
    opts: { internal: true },
    want: [],
    rejected: [["80/tcp", "HostConfig.NetworkMode"]],
  },
  {
    name: "host_network_exposed_ports_register",
    info: fakeInspect({ Config: { ExposedPorts: { "8080/tcp": {} } }, HostConfig: { NetworkMode: "host" } }, noBridge, {
      NetworkSettings: { Networks: { host: endpoint("") } },
    }),
    want: [{ address: "127.0.0.1", port: 8080, id: "node1:web-1:8080" }],
  },
  {
    name: "host_network_uses_ip_flag_also_internal",
    info: fakeInspect({ Config: { ExposedPorts: { "8080/tcp": {} } }, HostConfig: { NetworkMode: "host" } }, noBridge, {
      NetworkSettings: { Networks: { host: endpoint("") } },
    }),
    opts: { hostIp: "10.0.0.5", internal: true },
    want: [{ address: "10.0.0.5", port: 8080 }],
  },
  {
    name: "ip_from_label",
    info: fakeInspect(ports({ "80/tcp": [["0.0.0.0", "8080"]] }), labels({ "com.example.ip": "10.1.2.3/24" })),
    opts: { useIpFromLabel: "com.example.ip" },
    want: [{ address: "10.1.2.3", port: 8080 }],
  },
  {
    name: "ip_from_label_missing_keeps_address",
    info: fakeInspect(ports({ "80/tcp": [["0.0.0.0", "8080"]] })),
    opts: { useIpFromLabel: "com.example.ip" },
    want: [{ address: "127.0.0.1" }],
  },
  // IDs
  { name: "hostname_option_in_id_and_owner", info: fakeInspect(ports({ "80/tcp": [["0.0.0.0", "1"]] })), opts: { hostname: "db-7" }, want: [{ id: "db-7:web-1:80", owner: "db-7" }] },
  {
    name: "container_without_name_uses_short_id",
    info: fakeInspect(ports({ "80/tcp": [["0.0.0.0", "8080"]] }), { Name: "" }),
    want: [{ id: "node1:4f1e2d3c4b5a:80", container: { id: DEFAULT_CONTAINER_ID, name: "4f1e2d3c4b5a" } }],
  },
  { name: "service_id_override", info: fakeInspect(ports({ "53/udp": [["0.0.0.0", "53"]] }), env({ SERVICE_ID: "dns-primary" })), want: [{ id: "dns-primary" }] },
  {
    name: "service_id_per_port",
    info: fakeInspect(WEB, env({ SERVICE_443_ID: "tls-1" })),
    want: [{ id: "node1:web-1:80" }, { id: "tls-1" }],
  },
  {
    name: "duplicate_generic_service_id_second_rejected",
    info: fakeInspect(WEB, labels({ SERVICE_ID: "same" })),
    want: [{ id: "same", port: 8080 }],
    rejected: [["443/tcp", "SERVICE_ID"]],
  },
  { name: "service_id_too_long_rejected", info: fakeInspect(WEB, env({ SERVICE_80_ID: "x".repeat(513) })), want: [{ id: "node1:web-1:443" }], rejected: [["80/tcp", "SERVICE_80_ID"]] },
  // names
  { name: "compose_service_label_name", info: fakeInspect(ports({ "80/tcp": [["0.0.0.0", "8080"]] }), labels({ "com.docker.compose.service": "api" })), want: [{ name: "api" }] },
  {
    name: "service_name_beats_compose_label",
    info: fakeInspect(ports({ "80/tcp": [["0.0.0.0", "8080"]] }), labels({ "com.docker.compose.service": "api", SERVICE_NAME: "web" })),
    want: [{ name: "web" }],
  },
  {
    name: "image_basename_registry_path_digest",
    info: fakeInspect(ports({ "80/tcp": [["0.0.0.0", "8080"]] }), { Config: { Image: "registry:5000/team/api@sha256:0123456789abcdef" } }),
    want: [{ name: "api" }],
  },
  {
    name: "bad_name_rejected_sibling_port_kept",
    info: fakeInspect(WEB, env({ SERVICE_80_NAME: "bad_name" })),
    want: [{ name: "nginx-443", port: 8443 }],
    rejected: [["80/tcp", "SERVICE_80_NAME"]],
  },
  { name: "name_64_chars_rejected", info: fakeInspect(ports({ "80/tcp": [["0.0.0.0", "1"]] }), env({ SERVICE_NAME: "a".repeat(64) })), want: [], rejected: [["80/tcp", "SERVICE_NAME"]] },
  { name: "name_63_chars_ok", info: fakeInspect(ports({ "80/tcp": [["0.0.0.0", "1"]] }), env({ SERVICE_NAME: "a".repeat(63) })), want: [{ name: "a".repeat(63) }] },
  {
    name: "name_too_long_after_suffix",
    info: fakeInspect(WEB, env({ SERVICE_NAME: "a".repeat(60) })),
    want: [{ name: `${"a".repeat(60)}-80` }],
    rejected: [["443/tcp", "SERVICE_NAME"]],
  },
  { name: "image_name_with_underscore_rejected", info: fakeInspect(ports({ "80/tcp": [["0.0.0.0", "1"]] }), { Config: { Image: "my_app:1" } }), want: [], rejected: [["80/tcp", "Config.Image"]] },
  {
    name: "compose_name_with_underscore_rejected",
    info: fakeInspect(ports({ "80/tcp": [["0.0.0.0", "1"]] }), labels({ "com.docker.compose.service": "my_svc" })),
    want: [],
    rejected: [["80/tcp", "com.docker.compose.service"]],
  },
  { name: "leading_hyphen_rejected", info: fakeInspect(ports({ "80/tcp": [["0.0.0.0", "1"]] }), env({ SERVICE_NAME: "-web" })), want: [], rejected: [["80/tcp", "SERVICE_NAME"]] },
];

describe("containerToServices: ports, addresses, IDs, names", () => {
  cases.forEach((c, i) => {
    it(`${i}_${c.name}`, () => {
      runMappingCase(c);
    });
  });
});

describe("network choice is deterministic", () => {
  const nets: Array<[string, ReturnType<typeof endpoint>]> = [
    ["zeta", endpoint("10.9.0.2")],
    ["mid", endpoint("10.5.0.2")],
    ["alpha", endpoint("10.1.0.2")],
  ];
  const orders = [
    [0, 1, 2],
    [2, 1, 0],
    [1, 0, 2],
    [1, 2, 0],
  ];
  orders.forEach((order, i) => {
    it(`${i}_order_${order.join("")}`, () => {
      const networks = Object.fromEntries(order.map((k) => nets[k]!));
      const got = mapWith(fakeInspect(ports({ "80/tcp": null }), noBridge, { NetworkSettings: { Networks: networks } }), { internal: true });
      expect(got.instances.map((x) => x.address)).toEqual(["10.1.0.2"]);
    });
  });
});

describe("imageBasename", () => {
  const table: Array<[string, string]> = [
    ["redis", "redis"],
    ["redis:7", "redis"],
    ["library/redis:7", "redis"],
    ["docker.io/library/redis:7.2-alpine", "redis"],
    ["registry:5000/team/api@sha256:0123abcd", "api"],
    ["registry:5000/team/api:1.2@sha256:0123abcd", "api"],
    ["localhost:5000/api", "api"],
  ];
  table.forEach(([image, want], i) => {
    it(`${i}_${image}`, () => expect(imageBasename(image)).toBe(want));
  });
});

describe("describeRejection", () => {
  it("0_names_container_port_key_on_one_line", () => {
    const got = mapWith(fakeInspect(ports({ "80/tcp": [["0.0.0.0", "1"]] }), env({ SERVICE_NAME: "bad\nname" })));
    expect(got.rejected).toHaveLength(1);
    const line = describeRejection(got.rejected[0]!);
    expect(line).not.toMatch(/[\r\n]/);
    expect(line).toContain("container web-1 port 80/tcp: SERVICE_NAME:");
    expect(line).toContain("not registered");
  });
  it("1_container_level_without_port", () => {
    expect(describeRejection({ container: "web-1", key: "X", reason: "bad" })).toBe("container web-1: X: bad — service not registered");
  });
});
