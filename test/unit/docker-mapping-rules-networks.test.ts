// One case per rule of docs/registrator.md's "Several networks" section, so the page and the code agree.
import { describe, it } from "vitest";
import { endpoint, fakeInspect, labels, ports } from "./fixtures/container.js";
import { runMappingCase, type MappingCase } from "./fixtures/mapping-cases.js";

const NETS = { NetworkSettings: { Networks: { bridge: undefined, back: endpoint("10.1.0.7"), front: endpoint("10.2.0.7", { ipv6: "fd00::7" }) } } };
const EXPOSED = ports({ "80/tcp": null });
const PUBLISHED = ports({ "80/tcp": [["127.0.0.1", "8080"]] });
const BOTH = labels({ SERVICE_NAME: "api", SERVICE_NETWORKS: "front,back" });
const INTERNAL = { internal: true };

const cases: MappingCase[] = [
  // one instance per listed network, in the order given, each at its address there
  {
    name: "one_instance_per_network",
    info: fakeInspect(EXPOSED, NETS, BOTH),
    opts: INTERNAL,
    want: [
      { id: "node1:web-1:80@front", name: "api", address: "10.2.0.7", port: 80, tags: ["front"], meta: { network: "front" } },
      { id: "node1:web-1:80@back", name: "api", address: "10.1.0.7", port: 80, tags: ["back"], meta: { network: "back" } },
    ],
  },
  { name: "spaces_and_duplicates_ignored", info: fakeInspect(EXPOSED, NETS, labels({ SERVICE_NETWORKS: " back , back,," })), opts: INTERNAL, want: [{ id: "node1:web-1:80@back", address: "10.1.0.7" }] },
  { name: "service_id_gets_the_suffix", info: fakeInspect(EXPOSED, NETS, BOTH, labels({ SERVICE_ID: "api-a" })), opts: INTERNAL, want: [{ id: "api-a@front" }, { id: "api-a@back" }] },
  { name: "tags_first_then_network", info: fakeInspect(EXPOSED, NETS, BOTH, labels({ SERVICE_TAGS: "v2" })), opts: { ...INTERNAL, tags: ["eu"] }, want: [{ tags: ["v2", "eu", "front"] }, { tags: ["v2", "eu", "back"] }] },
  {
    name: "checks_probe_each_address",
    info: fakeInspect(EXPOSED, NETS, BOTH, labels({ SERVICE_CHECK_TCP: "1" })),
    opts: INTERNAL,
    want: [{ checks: [{ type: "tcp", target: "10.2.0.7:80", intervalMs: 10_000 }] }, { checks: [{ type: "tcp", target: "10.1.0.7:80", intervalMs: 10_000 }] }],
  },
  { name: "portless_container_too", info: fakeInspect(NETS, BOTH), want: [{ id: "node1:web-1@front", address: "10.2.0.7", port: null }, { id: "node1:web-1@back", address: "10.1.0.7", port: null }] },
  { name: "service_port_container_too", info: fakeInspect(NETS, BOTH, labels({ SERVICE_PORT: "9000" })), want: [{ id: "node1:web-1:9000@front", port: 9000 }, { id: "node1:web-1:9000@back", port: 9000 }] },
  // refusals: a network the container is not on, an empty list, published or host-network addresses, both keys
  { name: "not_attached_rejected", info: fakeInspect(EXPOSED, NETS, labels({ SERVICE_NETWORKS: "front,nosuch" })), opts: INTERNAL, want: [], rejected: [["80/tcp", "SERVICE_NETWORKS"]] },
  { name: "empty_list_rejected", info: fakeInspect(EXPOSED, NETS, labels({ SERVICE_NETWORKS: " , " })), opts: INTERNAL, want: [], rejected: [["80/tcp", "SERVICE_NETWORKS"]] },
  { name: "published_mode_rejected", info: fakeInspect(PUBLISHED, NETS, BOTH), want: [], rejected: [["80/tcp", "SERVICE_NETWORKS"]] },
  {
    name: "host_network_rejected",
    info: fakeInspect(EXPOSED, BOTH, { HostConfig: { NetworkMode: "host" }, NetworkSettings: { Networks: { bridge: undefined, host: endpoint("") } } }),
    want: [],
    rejected: [["80/tcp", "SERVICE_NETWORKS"]],
  },
  { name: "both_keys_same_level_rejected", info: fakeInspect(EXPOSED, NETS, BOTH, labels({ SERVICE_NETWORK: "back" })), opts: INTERNAL, want: [], rejected: [["80/tcp", "SERVICE_NETWORKS"]] },
  // precedence: SERVICE_<port>_NETWORK(S) > SERVICE_NETWORK(S) > --network > bridge > first by name
  { name: "port_network_beats_networks", info: fakeInspect(EXPOSED, NETS, BOTH, labels({ SERVICE_80_NETWORK: "back" })), opts: INTERNAL, want: [{ id: "node1:web-1:80", address: "10.1.0.7", tags: [], meta: {} }] },
  { name: "port_networks_beats_network", info: fakeInspect(EXPOSED, NETS, labels({ SERVICE_NETWORK: "front", SERVICE_80_NETWORKS: "back" })), opts: INTERNAL, want: [{ id: "node1:web-1:80@back", address: "10.1.0.7" }] },
  { name: "networks_beats_flag", info: fakeInspect(EXPOSED, NETS, labels({ SERVICE_NETWORKS: "back" })), opts: { ...INTERNAL, network: "front" }, want: [{ id: "node1:web-1:80@back" }] },
  { name: "single_network_no_suffix", info: fakeInspect(EXPOSED, NETS, labels({ SERVICE_NETWORK: "back" })), opts: INTERNAL, want: [{ id: "node1:web-1:80", address: "10.1.0.7", tags: [], meta: {} }] },
  { name: "networks_is_not_meta", info: fakeInspect(EXPOSED, NETS, labels({ SERVICE_NETWORKS: "back", SERVICE_ZONE: "a" })), opts: INTERNAL, want: [{ meta: { network: "back", zone: "a" } }] },
];

describe("docs/registrator.md several-networks rules", () => {
  cases.forEach((c, i) => it(`${i}_${c.name}`, () => void runMappingCase(c)));
});
