// One case per rule of docs/registrator.md's "Swarm-mode tasks" section, so the page and the code agree.
import { describe, it } from "vitest";
import { endpoint, fakeInspect, labels, ports } from "./fixtures/container.js";
import { runMappingCase, type MappingCase } from "./fixtures/mapping-cases.js";

/** What Docker writes on a task container of `docker service create --name api --network appnet --publish 8080:80`. */
const TASK = {
  Name: "/api.1.x2k0p7d9",
  Config: { Labels: { "com.docker.swarm.service.name": "api", "com.docker.swarm.task.id": "x2k0p7d9", "com.docker.swarm.task.name": "api.1.x2k0p7d9" } },
  NetworkSettings: { Networks: { bridge: undefined, ingress: endpoint("10.0.0.12"), appnet: endpoint("10.0.1.5") } },
};

const cases: MappingCase[] = [
  { name: "named_after_the_service_at_its_overlay_address", info: fakeInspect(TASK, ports({ "80/tcp": null })), want: [{ id: "node1:api.1.x2k0p7d9:80", name: "api", address: "10.0.1.5", port: 80 }] },
  { name: "service_name_wins", info: fakeInspect(TASK, ports({ "80/tcp": null }), labels({ SERVICE_NAME: "web" })), want: [{ name: "web" }] },
  { name: "ingress_only_when_asked", info: fakeInspect(TASK, ports({ "80/tcp": null }), labels({ SERVICE_NETWORK: "ingress" })), want: [{ address: "10.0.0.12" }] },
  { name: "portless_task_with_service_port", info: fakeInspect(TASK, labels({ SERVICE_PORT: "8080" })), want: [{ id: "node1:api.1.x2k0p7d9:8080", name: "api", address: "10.0.1.5", port: 8080 }] },
  { name: "portless_task_needs_an_opt_in", info: fakeInspect(TASK, labels({ SERVICE_TAGS: "x" })), want: [] },
  { name: "several_networks", info: fakeInspect(TASK, labels({ SERVICE_PORT: "8080", SERVICE_NETWORKS: "appnet,ingress" })), want: [{ address: "10.0.1.5" }, { address: "10.0.0.12" }] },
  { name: "not_a_task_without_the_label", info: fakeInspect(TASK, ports({ "80/tcp": null }), { Config: { Labels: { "com.docker.swarm.task.id": undefined } } }), want: [] },
];

describe("docs/registrator.md swarm-mode task rules", () => {
  cases.forEach((c, i) => it(`${i}_${c.name}`, () => void runMappingCase(c)));
});
