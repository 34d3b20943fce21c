// `portolan catalog serve` over Consul, ZooKeeper, Eureka and etcd, fed by a real registrator process: a container started or
// stopped appears in or disappears from /v1/events and the API.
import { afterAll, describe, expect, it } from "vitest";
import { eventually, startTestContainer } from "./docker.js";
import { changeOf, fleetPair, get, openEvents } from "./catalog-support.js";
import { TESTBED } from "./testbed.js";

const BACKENDS = [
  { name: "consul", uri: `consul://${TESTBED.consul.host}:${TESTBED.consul.port}`, port: 18707 },
  { name: "zk-curator", uri: `zk://${TESTBED.zkStandalone}/portolan-cat-serve-${process.pid}?format=curator`, port: 18708 },
  { name: "eureka", uri: `eureka://${TESTBED.eureka.single}/eureka?poll=1s`, port: 18770 },
  { name: "etcd", uri: `etcd://${TESTBED.etcd}/portolan-cat-serve-${process.pid}`, port: 23855 },
];

describe.each(BACKENDS)("catalog serve --registry $name", (b) => {
  const owner = `cat-serve-${b.name}-${process.pid}`;
  const svc = `catserve${process.pid}`;
  const id = `${owner}:${owner}-web:80`;
  const pair = fleetPair(b.uri, owner, b.port);
  const base = pair.base;

  afterAll(() => pair.stop());

  it("0_started and stopped containers appear in and leave the stream and the API", async () => {
    await pair.start();
    const stream = await openEvents(`${base}/v1/events`);
    await stream.wait("snapshot", (e) => e.event === "snapshot");
    const c = await startTestContainer({ name: `${owner}-web`, ports: ["80/tcp"], env: { SERVICE_NAME: svc }, labels: pair.labels });
    await stream.wait("added", (e) => changeOf(e)?.added.some((i) => i.id === id) ?? false, 0, 60_000).catch((err: Error) => {
      throw new Error(`${err.message}\n${pair.logs()}`);
    });
    // Consul may show the entry a moment before its health check turns passing.
    await eventually("passing", async () => (await get(`${base}/v1/services/${svc}`)).json<{ service: { passing: number } }>().service.passing === 1, 20_000, 100);
    expect((await get(`${base}/v1/services/${svc}`)).json()).toMatchObject({ service: { name: svc, passing: 1 }, instances: [{ id, owner, health: "passing" }] });
    await c.stop();
    await stream.wait("removed", (e) => changeOf(e)?.removed.includes(id) ?? false, 0, 60_000);
    expect((await get(`${base}/v1/services/${svc}`)).status).toBe(404);
    // The backend probe (ping) answers: /healthz is 200.
    expect((await get(`${base}/healthz`)).status).toBe(200);
    stream.close();
  });
});
