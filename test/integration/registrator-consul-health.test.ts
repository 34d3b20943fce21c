// The registrator keeps Consul's "Docker health" TTL check alive: it refreshes at the adapter's healthRefreshMs.
import { afterEach, expect, it } from "vitest";
import { createConsulRegistry } from "../../adapters/consul/index.js";
import { httpDockerPort } from "../../src/docker/client.js";
import { Registrator } from "../../src/registrator/registrator.js";
import { registratorOptions } from "./backends.js";
import { eventually, removeTestContainers, startTestContainer } from "./docker.js";
import { TESTBED } from "./testbed.js";

const owner = `ttl-${process.pid}`;
let r: Registrator | undefined;
afterEach(async () => {
  await r?.stop({ deregisterAll: true });
  await removeTestContainers();
});

it("0_health check stays passing across several TTLs", async () => {
  const reg = createConsulRegistry({ ...TESTBED.consul, healthTtlMs: 2_000 });
  expect(reg.healthRefreshMs).toBe(500);
  await startTestContainer({ name: `${owner}-web`, ports: ["80/tcp"], env: { SERVICE_NAME: "ttlweb" } });
  r = new Registrator(httpDockerPort(), reg, registratorOptions(owner));
  await r.start();
  const id = `${owner}:${owner}-web:80`;
  const status = async () => {
    const res = await fetch(`http://${TESTBED.consul.host}:${TESTBED.consul.port}/v1/agent/checks`);
    const checks = (await res.json()) as Record<string, { Status: string }>;
    return checks[`portolan:${id}:health`]?.Status;
  };
  await eventually("passing", async () => (await status()) === "passing");
  // Three TTLs later, still passing: refreshed, not merely registered.
  await new Promise((res) => setTimeout(res, 6_000));
  expect(await status()).toBe("passing");
  // Without refreshes (registrator stopped, entry left), the same check goes critical within a TTL or two.
  await r.stop({ deregisterAll: false });
  r = undefined;
  await eventually("critical after the registrator is gone", async () => (await status()) === "critical", 8_000, 200);
  await reg.deregister({ id, name: "ttlweb" });
  await reg.close();
}, 60_000);
