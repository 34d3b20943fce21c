// Registrator behaviour on a real dockerd, against every backend (memory, Consul, ZooKeeper curator and nerve).
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Instance } from "../../src/core/model.js";
import { httpDockerPort } from "../../src/docker/client.js";
import type { RegistratorEvent } from "../../src/registrator/events.js";
import { Registrator, type RegistratorOptions } from "../../src/registrator/registrator.js";
import { BACKENDS, CountingRegistry, open, type Backend, registratorOptions } from "./backends.js";
import { docker, eventually, publishedPort, removeTestContainers, RUN_LABEL, startTestContainer } from "./docker.js";


describe.each(BACKENDS)("registrator with $name", (backend: Backend) => {
  const owner = `it-${backend.name}-${process.pid}`;
  let reg: CountingRegistry;
  let r: Registrator | undefined;
  const events: RegistratorEvent[] = [];

  beforeAll(async () => {
    reg = new CountingRegistry(await open(backend));
  });
  beforeEach(() => {
    reg.writes.length = 0;
  });
  afterEach(async () => {
    await r?.stop({ deregisterAll: true });
    r = undefined;
    await removeTestContainers();
    events.length = 0;
  });
  afterAll(async () => {
    await reg.close();
  });

  async function startRegistrator(over: Partial<RegistratorOptions> = {}) {
    r = new Registrator(httpDockerPort(), reg, registratorOptions(owner, over), (e) => events.push(e));
    await r.start();
    return r;
  }
  // Only this file's containers: others on the same dockerd (other test files, developers) are registered too.
  const mine = (id: string) => id.startsWith(`${owner}:${owner}-`);
  const owned = async () => (await reg.listOwned(owner)).filter((i) => mine(i.id));
  const myWrites = () => reg.writes.filter((w) => mine(w.slice(w.indexOf(":") + 1)));
  const byId = async (id: string): Promise<Instance | undefined> => (await reg.listOwned(owner)).find((i) => i.id === id);

  it("0_registers running containers on start, deregisters on stop", async () => {
    const c = await startTestContainer({ name: `${owner}-web`, ports: ["80/tcp", "81/tcp"], env: { SERVICE_NAME: "web" } });
    await startRegistrator();
    const list = await owned();
    const p80 = await publishedPort(c, "80/tcp");
    expect(list.map((i) => i.id).sort()).toEqual([`${owner}:${owner}-web:80`, `${owner}:${owner}-web:81`]);
    expect(list.find((i) => i.id.endsWith(":80"))).toMatchObject({ name: "web-80", address: "127.0.0.1", port: p80, protocol: "tcp" });
    await c.stop();
    await eventually("deregistration", async () => (await owned()).length === 0);
  });

  it("1_a container started later is registered from its start event", async () => {
    await startRegistrator();
    const c = await startTestContainer({ name: `${owner}-late`, ports: ["80/tcp"], env: { SERVICE_NAME: "late" } });
    const p = await publishedPort(c, "80/tcp");
    const got = await eventually("registration", () => byId(`${owner}:${owner}-late:80`));
    expect(got).toMatchObject({ name: "late", port: p, health: "passing", owner });
  });

  it("2_reconcile is a diff: no write when nothing changed", async () => {
    await startTestContainer({ name: `${owner}-diff`, ports: ["80/tcp"], env: { SERVICE_NAME: "diff", SERVICE_TAGS: "a,b", SERVICE_VERSION: "1" } });
    const rr = await startRegistrator();
    await eventually("registration", () => byId(`${owner}:${owner}-diff:80`));
    reg.writes.length = 0;
    await rr.resync();
    await rr.resync();
    expect(myWrites()).toEqual([]);
  });

  it("3_cleanup removes entries of this owner whose container is gone; without it they stay", async () => {
    const ghost: Instance = {
      id: `${owner}:ghost:80`, name: "ghost", address: "127.0.0.1", port: 9, protocol: "tcp",
      tags: [], meta: {}, checks: [], health: "passing", owner,
    };
    await reg.register(ghost);
    const first = await startRegistrator();
    expect(await byId(ghost.id)).toBeDefined();
    await first.stop({ deregisterAll: false });
    await startRegistrator({ cleanup: true });
    expect(await byId(ghost.id)).toBeUndefined();
  });

  it("4_a fast stop/start burst converges to the container's real state", async () => {
    const c = await startTestContainer({ name: `${owner}-burst`, ports: ["80/tcp"], env: { SERVICE_NAME: "burst" } });
    const rr = await startRegistrator();
    for (let k = 0; k < 3; k++) {
      await c.stop();
      await c.start();
    }
    const p = await publishedPort(c, "80/tcp");
    await rr.idle();
    await eventually("final registration", async () => (await byId(`${owner}:${owner}-burst:80`))?.port === p);
    await c.stop();
    await eventually("deregistration", async () => (await byId(`${owner}:${owner}-burst:80`)) === undefined);
  });

  it("5_pause deregisters, unpause registers again", async () => {
    const c = await startTestContainer({ name: `${owner}-pause`, ports: ["80/tcp"], env: { SERVICE_NAME: "pause" } });
    await startRegistrator();
    const id = `${owner}:${owner}-pause:80`;
    expect(await byId(id)).toBeDefined();
    await c.pause();
    await eventually("deregistration on pause", async () => (await byId(id)) === undefined);
    await c.unpause();
    await eventually("registration on unpause", () => byId(id));
  });

  it("6_--deregister on-success keeps a failed container's entries, removes a clean exit's", async () => {
    await startRegistrator({ deregister: "on-success" });
    const bad = await startTestContainer({ name: `${owner}-fail`, ports: ["80/tcp"], env: { SERVICE_NAME: "fail" }, cmd: ["sh", "-c", "sleep 1; exit 3"] });
    const good = await startTestContainer({ name: `${owner}-ok`, ports: ["80/tcp"], env: { SERVICE_NAME: "ok" }, cmd: ["sh", "-c", "sleep 1; exit 0"] });
    await eventually("both registered", async () => (await owned()).length === 2);
    await Promise.all([bad.wait(), good.wait()]);
    await eventually("clean exit deregistered", async () => (await byId(`${owner}:${owner}-ok:80`)) === undefined);
    await r!.idle();
    expect(await byId(`${owner}:${owner}-fail:80`)).toBeDefined();
    await bad.remove();
    await eventually("destroyed container deregistered", async () => (await byId(`${owner}:${owner}-fail:80`)) === undefined);
  });

  it("7_Docker HEALTHCHECK drives health", async () => {
    const c = await startTestContainer({
      name: `${owner}-health`, ports: ["80/tcp"], env: { SERVICE_NAME: "health" },
      healthcheck: { test: ["CMD", "test", "-f", "/tmp/ok"], intervalMs: 200 },
    });
    await startRegistrator();
    const id = `${owner}:${owner}-health:80`;
    await eventually("unhealthy", async () => (await byId(id))?.health === "critical");
    const exec = await c.exec({ Cmd: ["touch", "/tmp/ok"] });
    await exec.start({});
    await eventually("healthy", async () => (await byId(id))?.health === "passing");
  });

  it("8_bad metadata rejects one service with one clear event; its sibling registers", async () => {
    await startTestContainer({ name: `${owner}-bad`, ports: ["80/tcp", "81/tcp"], env: { SERVICE_80_NAME: "bad_name!", SERVICE_81_NAME: "good", SERVICE_81_CHECK_INTERVAL: "10s" } });
    await startTestContainer({ name: `${owner}-badcheck`, ports: ["80/tcp"], env: { SERVICE_NAME: "badcheck", SERVICE_CHECK_TTL: "forever" } });
    await startRegistrator();
    const list = await owned();
    expect(list.map((i) => i.name)).toEqual(["good"]);
    const rejected = events.flatMap((e) => (e.type === "rejected" && e.rejection.container.startsWith(`${owner}-`) ? [e.rejection] : []));
    expect(rejected).toHaveLength(2);
    expect(rejected).toEqual(expect.arrayContaining([
      expect.objectContaining({ container: `${owner}-bad`, key: "SERVICE_80_NAME" }),
      expect.objectContaining({ container: `${owner}-badcheck`, key: "SERVICE_CHECK_TTL" }),
    ]));
    expect(myWrites()).toEqual([`register:${owner}:${owner}-bad:81`]);
  });

  it("9_--internal follows network connect/disconnect; SERVICE_NETWORK picks the network", async () => {
    const net = await docker.createNetwork({ Name: `${owner}-net`, Labels: { [RUN_LABEL]: "1" } });
    try {
      const pinned = await startTestContainer({ name: `${owner}-pinned`, ports: ["80/tcp"], publish: false, env: { SERVICE_NAME: "pinned", SERVICE_NETWORK: `${owner}-net` } });
      const free = await startTestContainer({ name: `${owner}-free`, ports: ["80/tcp"], publish: false, env: { SERVICE_NAME: "free" } });
      await startRegistrator({ mapping: { hostname: owner, internal: true, explicit: false, tags: [] } });
      const pinnedId = `${owner}:${owner}-pinned:80`;
      const freeId = `${owner}:${owner}-free:80`;
      const freeBridgeIp = (await free.inspect()).NetworkSettings.Networks["bridge"]?.IPAddress;
      expect(await byId(freeId)).toMatchObject({ address: freeBridgeIp, port: 80 });
      // SERVICE_NETWORK names a network the container is not on: rejected, not registered on another one.
      expect(await byId(pinnedId)).toBeUndefined();
      expect(events).toContainEqual({ type: "rejected", rejection: expect.objectContaining({ container: `${owner}-pinned`, key: "SERVICE_NETWORK" }) });
      await net.connect({ Container: pinned.id });
      const netIp = (await pinned.inspect()).NetworkSettings.Networks[`${owner}-net`]?.IPAddress;
      expect(netIp).toBeTruthy();
      await eventually("registered on the connected network", async () => (await byId(pinnedId))?.address === netIp);
      await net.disconnect({ Container: pinned.id });
      await eventually("deregistered after disconnect", async () => (await byId(pinnedId)) === undefined);
      expect(await byId(freeId)).toMatchObject({ address: freeBridgeIp });
    } finally {
      await removeTestContainers();
      await net.remove().catch(() => {});
    }
  });
});
