// One case per rule of docs/registrator.md's "Port-less containers" section, so the page and the code agree.
import { describe, it } from "vitest";
import { endpoint, env, fakeInspect, labels, ports } from "./fixtures/container.js";
import { runMappingCase, type MappingCase } from "./fixtures/mapping-cases.js";

const NAMED = labels({ SERVICE_NAME: "worker" });
const TWO_NETS = { NetworkSettings: { Networks: { back: endpoint("10.1.0.7"), front: endpoint("10.2.0.7") } } };
const HOST = { HostConfig: { NetworkMode: "host" }, NetworkSettings: { Networks: { bridge: undefined, host: endpoint("") } } };

const cases: MappingCase[] = [
  // the opt-in: SERVICE_NAME (or SERVICE_PORT) on a container that exposes no port
  { name: "name_registers_without_port", info: fakeInspect(NAMED), want: [{ id: "node1:web-1", name: "worker", address: "172.17.0.2", port: null, protocol: "tcp", tags: [] }] },
  { name: "env_name_registers_too", info: fakeInspect(env({ SERVICE_NAME: "worker" })), want: [{ name: "worker", port: null }] },
  { name: "no_opt_in_nothing", info: fakeInspect(), want: [] },
  { name: "other_keys_are_no_opt_in", info: fakeInspect(labels({ SERVICE_TAGS: "a", SERVICE_VERSION: "2" })), want: [] },
  { name: "internal_mode_same", info: fakeInspect(NAMED), opts: { internal: true }, want: [{ address: "172.17.0.2", port: null }] },
  { name: "exposed_but_unpublished_is_not_portless", info: fakeInspect(NAMED, ports({ "80/tcp": null })), want: [] },
  { name: "not_running_nothing", info: fakeInspect(NAMED, { State: { Running: false, Status: "exited" } }), want: [] },
  { name: "ignore_wins", info: fakeInspect(NAMED, labels({ SERVICE_IGNORE: "true" })), want: [] },
  { name: "service_id_replaces_id", info: fakeInspect(NAMED, labels({ SERVICE_ID: "node1:worker-a" })), want: [{ id: "node1:worker-a", port: null }] },
  { name: "tags_and_meta_kept", info: fakeInspect(NAMED, labels({ SERVICE_TAGS: "batch", SERVICE_QUEUE: "jobs" })), want: [{ tags: ["batch"], meta: { queue: "jobs" } }] },
  // the network: SERVICE_NETWORK, else --network (with --internal), else bridge, else the first by name
  { name: "first_network_by_name", info: fakeInspect(NAMED, TWO_NETS, { NetworkSettings: { Networks: { bridge: undefined } } }), want: [{ address: "10.1.0.7" }] },
  { name: "service_network_picks", info: fakeInspect(NAMED, TWO_NETS, labels({ SERVICE_NETWORK: "front" })), want: [{ address: "10.2.0.7" }] },
  { name: "flag_network_picks", info: fakeInspect(NAMED, TWO_NETS), opts: { internal: true, network: "front" }, want: [{ address: "10.2.0.7" }] },
  { name: "network_not_attached_rejected", info: fakeInspect(NAMED, labels({ SERVICE_NETWORK: "nosuch" })), want: [], rejected: [["", "SERVICE_NETWORK"]] },
  { name: "ipv6_only_network", info: fakeInspect(NAMED, { NetworkSettings: { Networks: { bridge: endpoint("", { ipv6: "fd00::7" }) } } }), want: [{ address: "fd00::7", port: null }] },
  { name: "no_network_rejected", info: fakeInspect(NAMED, { HostConfig: { NetworkMode: "none" }, NetworkSettings: { Networks: { bridge: undefined } } }), want: [], rejected: [["", "NetworkSettings.Networks"]] },
  { name: "host_network_registers_ip", info: fakeInspect(NAMED, HOST), opts: { hostIp: "10.0.0.5" }, want: [{ address: "10.0.0.5", port: null }] },
  { name: "ip_from_label", info: fakeInspect(NAMED, labels({ "io.example.ip": "192.0.2.9/24" })), opts: { useIpFromLabel: "io.example.ip" }, want: [{ address: "192.0.2.9" }] },
  // checks need a port; a TTL check does not
  { name: "check_tcp_rejected", info: fakeInspect(NAMED, labels({ SERVICE_CHECK_TCP: "true" })), want: [], rejected: [["", "SERVICE_CHECK_TCP"]] },
  { name: "check_http_rejected", info: fakeInspect(NAMED, labels({ SERVICE_CHECK_HTTP: "/health" })), want: [], rejected: [["", "SERVICE_CHECK_HTTP"]] },
  { name: "check_ttl_ok", info: fakeInspect(NAMED, labels({ SERVICE_CHECK_TTL: "30s" })), want: [{ checks: [{ type: "ttl", intervalMs: 30_000 }] }] },
  // SERVICE_PORT: a port the container does not publish
  { name: "service_port_registers", info: fakeInspect(NAMED, labels({ SERVICE_PORT: "9000" })), want: [{ id: "node1:web-1:9000", address: "172.17.0.2", port: 9000, protocol: "tcp" }] },
  { name: "service_port_alone_opts_in", info: fakeInspect(labels({ SERVICE_PORT: "9000" })), want: [{ name: "nginx", port: 9000 }] },
  { name: "service_port_udp", info: fakeInspect(NAMED, labels({ SERVICE_PORT: "53/udp" })), want: [{ id: "node1:web-1:53:udp", port: 53, protocol: "udp", tags: ["udp"] }] },
  { name: "service_port_check_tcp", info: fakeInspect(NAMED, labels({ SERVICE_PORT: "9000", SERVICE_CHECK_TCP: "1" })), want: [{ checks: [{ type: "tcp", target: "172.17.0.2:9000", intervalMs: 10_000 }] }] },
  { name: "service_port_host_network", info: fakeInspect(NAMED, HOST, env({ SERVICE_PORT: "8125" })), want: [{ address: "127.0.0.1", port: 8125 }] },
  { name: "service_port_explicit_needs_name", info: fakeInspect(labels({ SERVICE_PORT: "9000" })), opts: { explicit: true }, want: [] },
  { name: "service_port_zero_rejected", info: fakeInspect(NAMED, labels({ SERVICE_PORT: "0" })), want: [], rejected: [["", "SERVICE_PORT"]] },
  { name: "service_port_word_rejected", info: fakeInspect(NAMED, labels({ SERVICE_PORT: "http" })), want: [], rejected: [["", "SERVICE_PORT"]] },
  { name: "service_port_too_big_rejected", info: fakeInspect(NAMED, labels({ SERVICE_PORT: "65536" })), want: [], rejected: [["", "SERVICE_PORT"]] },
  { name: "service_port_sctp_rejected", info: fakeInspect(NAMED, labels({ SERVICE_PORT: "9000/sctp" })), want: [], rejected: [["", "SERVICE_PORT"]] },
  {
    name: "service_port_with_published_port_rejected_alone",
    info: fakeInspect(NAMED, labels({ SERVICE_PORT: "9000" }), ports({ "80/tcp": [["127.0.0.1", "8080"]] })),
    want: [{ port: 8080 }],
    rejected: [["", "SERVICE_PORT"]],
  },
  { name: "service_port_is_not_meta", info: fakeInspect(NAMED, labels({ SERVICE_PORT: "9000" })), want: [{ meta: {} }] },
];

describe("docs/registrator.md port-less container rules", () => {
  cases.forEach((c, i) => it(`${i}_${c.name}`, () => void runMappingCase(c)));
});
