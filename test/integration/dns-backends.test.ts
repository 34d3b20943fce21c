// The shim fed by every real backend, with containers registered by the registrator on the real dockerd.
import { afterAll, describe, expect, it } from "vitest";
import type { Registry } from "../../src/core/registry.js";
import { httpDockerPort } from "../../src/docker/client.js";
import { Registrator } from "../../src/registrator/registrator.js";
import { open, registratorOptions, type Backend } from "./backends.js";
import { publishedPort, removeTestContainers, startTestContainer } from "./docker.js";
import { dig, shim } from "./dns-support.js";
import { TESTBED } from "./testbed.js";
import { until } from "../support/until.js";

const pid = process.pid;
const DNS_BACKENDS: Backend[] = [
  { name: "memory", uri: "memory:" },
  { name: "consul", uri: `consul://${TESTBED.consul.host}:${TESTBED.consul.port}` },
  { name: "zk-curator", uri: `zk://${TESTBED.zkStandalone}/portolan-dns-it-${pid}?format=curator` },
  { name: "zk-nerve", uri: `zk://${TESTBED.zkStandalone}/portolan-dns-it-nerve-${pid}?format=nerve` },
  { name: "eureka", uri: `eureka://${TESTBED.eureka.single}/eureka?poll=1s` },
  { name: "etcd", uri: `etcd://${TESTBED.etcd}/portolan-dns-it-${pid}` },
];

afterAll(async () => {
  await removeTestContainers();
});

// Generous waits: the Consul and ZooKeeper of the test bed are shared (another suite may be loading thousands of services).
describe.each(DNS_BACKENDS)("dns fed by $name", (backend) => {
  it("0_containers registered by the registrator are answered; a stopped one disappears", async () => {
    const owner = `dns-${backend.name}-${pid}`;
    const service = `dns-${backend.name}-${pid}`;
    const writer = await open(backend);
    // The shim reads through its own client (the embedded registry is in-process: the same one).
    const reader: Registry = backend.name === "memory" ? writer : await open(backend);
    const registrator = new Registrator(httpDockerPort(), writer, registratorOptions(owner), () => {});
    const dns = await shim(reader);
    try {
      const a = await startTestContainer({ name: `${owner}-a`, ports: ["80/tcp"], env: { SERVICE_NAME: service } });
      const b = await startTestContainer({ name: `${owner}-b`, ports: ["80/tcp"], env: { SERVICE_NAME: service } });
      const ports = [await publishedPort(a, "80/tcp"), await publishedPort(b, "80/tcp")].sort((x, y) => x - y);
      await registrator.start();
      const srv = async () => (await dig(dns.port, `_${service}._tcp.service.consul`, "SRV")).answer.map((l) => Number(l.split(" ")[6])).sort((x, y) => x - y);
      await until(`${service} SRV to list both containers`, async () => (await srv()).join() === ports.join(), 60_000, 50);
      expect(await srv()).toEqual(ports);
      const aRecords = await dig(dns.port, `${service}.service.consul`, "A");
      expect(aRecords.answer).toEqual([`${service}.service.consul. 0 IN A 127.0.0.1`]);
      const keep = await publishedPort(a, "80/tcp");
      await b.stop();
      await until(`${service} SRV to drop the stopped container`, async () => (await srv()).length === 1, 60_000, 20);
      expect(await srv()).toEqual([keep]);
    } finally {
      await registrator.stop({ deregisterAll: true });
      await dns.close();
      if (reader !== writer) await reader.close();
      await writer.close();
      await removeTestContainers();
    }
    // The registrator reconciles every container on the shared dockerd (another suite may run hundreds).
  }, 240_000);
});
