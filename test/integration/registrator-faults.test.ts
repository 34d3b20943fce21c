// Faults on the real test bed: dockerd restart, backend outage, Consul agent restart (dev mode loses state).
import { afterEach, describe, expect, it } from "vitest";
import type { Registry } from "../../src/core/registry.js";
import { httpDockerPort } from "../../src/docker/client.js";
import type { RegistratorEvent } from "../../src/registrator/events.js";
import { Registrator, type RegistratorOptions } from "../../src/registrator/registrator.js";
import { open, registratorOptions } from "./backends.js";
import { docker, eventually, publishedPort, removeTestContainers, startTestContainer } from "./docker.js";
import { consulRestart, consulStart, consulStop, dockerRestart, TESTBED, zkStart, zkStop } from "./testbed.js";

const consulUri = `consul://${TESTBED.consul.host}:${TESTBED.consul.port}`;
const zkEnsembleUri = `zk://${TESTBED.zkEnsemble.join(",")}/portolan-it-faults?format=curator`;


describe("registrator under faults", () => {
  const owner = `faults-${process.pid}`;
  let r: Registrator | undefined;
  let reg: Registry | undefined;
  const events: RegistratorEvent[] = [];

  afterEach(async () => {
    await r?.stop({ deregisterAll: true });
    await reg?.close();
    r = undefined;
    reg = undefined;
    events.length = 0;
    await removeTestContainers();
  });

  function registrator(registry: Registry, over: Partial<RegistratorOptions> = {}) {
    r = new Registrator(httpDockerPort(), registry, registratorOptions(owner, over), (e) => events.push(e));
    return r;
  }
  // Only this file's containers: others on the same dockerd are registered too.
  const mine = async () => (await reg!.listOwned(owner)).filter((i) => i.id.startsWith(`${owner}:${owner}-`));
  const byName = async (name: string) => (await mine()).find((i) => i.name === name);

  it("0_dockerd restart: reconnects, resumes, resyncs", async () => {
    reg = await open({ name: "memory", uri: "memory:" });
    await startTestContainer({ name: `${owner}-once`, ports: ["80/tcp"], env: { SERVICE_NAME: "once" } });
    await startTestContainer({ name: `${owner}-always`, ports: ["80/tcp"], env: { SERVICE_NAME: "always" }, restart: "always" });
    await registrator(reg).start();
    expect((await mine()).map((i) => i.name).sort()).toEqual(["always", "once"]);
    dockerRestart();
    // The container without a restart policy is gone after the restart; the other comes back (maybe on a new port).
    const always = docker.getContainer(`${owner}-always`);
    await eventually("always restarted by dockerd", async () => (await always.inspect()).State.Running, 60_000, 200);
    const port = await publishedPort(always, "80/tcp");
    await eventually("converged after dockerd restart", async () => {
      const list = await mine();
      return list.length === 1 && list[0]!.name === "always" && list[0]!.port === port;
    }, 60_000, 200);
    expect(events.filter((e) => e.type === "docker-connected").length).toBeGreaterThanOrEqual(2);
    expect(events.some((e) => e.type === "docker-error")).toBe(true);
    // The event stream is live again.
    await startTestContainer({ name: `${owner}-after`, ports: ["80/tcp"], env: { SERVICE_NAME: "after" } });
    await eventually("registered after restart", () => byName("after"), 20_000);
  });

  it("1_Consul unavailable: retries with backoff, converges when it returns", async () => {
    reg = await open({ name: "consul", uri: consulUri });
    consulStop();
    try {
      await startTestContainer({ name: `${owner}-wait`, ports: ["80/tcp"], env: { SERVICE_NAME: "waiting" } });
      const started = registrator(reg).start();
      await eventually("backend errors seen", () => events.filter((e) => e.type === "backend-error").length >= 2, 20_000);
      expect(await Promise.race([started.then(() => "done"), new Promise((res) => setTimeout(() => res("pending"), 50))])).toBe("pending");
    } finally {
      consulStart();
    }
    await eventually("registered once Consul is back", () => byName("waiting"), 60_000, 200);
  });

  it("2_Consul agent restart (state lost) is followed by re-registration within one resync", async () => {
    reg = await open({ name: "consul", uri: consulUri });
    await startTestContainer({ name: `${owner}-again`, ports: ["80/tcp"], env: { SERVICE_NAME: "again" } });
    await registrator(reg, { resyncMs: 2_000 }).start();
    expect(await byName("again")).toBeDefined();
    consulRestart();
    const restartedAt = Date.now();
    await eventually("re-registered", () => byName("again"), 10_000, 100);
    expect(Date.now() - restartedAt).toBeLessThan(2_000 + 3_000);
  });

  it("3_ZooKeeper ensemble without quorum: retries, converges when quorum returns", async () => {
    reg = await open({ name: "zk-ensemble", uri: zkEnsembleUri });
    await registrator(reg).start();
    zkStop(1);
    zkStop(2);
    try {
      await startTestContainer({ name: `${owner}-quorum`, ports: ["80/tcp"], env: { SERVICE_NAME: "quorum" } });
      await eventually("backend errors seen", () => events.some((e) => e.type === "backend-error"), 60_000, 200);
    } finally {
      zkStart(1);
      zkStart(2);
    }
    await eventually("registered once quorum is back", () => byName("quorum"), 90_000, 250);
  });
});
