// Registrator isolation on the real test bed: two simulated hosts (two registrators with different --hostname,
// each seeing only its own containers through a filtering view of dockerd) on one Consul and one ZooKeeper.
// Takeover attempts, ID collisions, labels the backend refuses and a container with thousands of ports, each
// while an ordinary container keeps registering; shutdown under load within its bound.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { ConsulRegistry } from "../../adapters/consul/index.js";
import { CountingProxy, type Counts } from "../../bench/counting-proxy.js";
import type { Registry } from "../../src/core/registry.js";
import { dockerTarget, httpDockerPort } from "../../src/docker/client.js";
import type { RegistratorEvent } from "../../src/registrator/events.js";
import type Dockerode from "dockerode";
import type { MappingOptions } from "../../src/docker/mapping.js";
import { Registrator } from "../../src/registrator/registrator.js";
import { BACKENDS, open, registratorOptions, type Backend } from "./backends.js";
import { HOST_LABEL, startDockerView, type DockerView } from "./docker-view.js";
import { startCli } from "./cli.js";
import { eventually, removeTestContainers, startTestContainer, type TestContainerSpec } from "./docker.js";
import { TESTBED } from "./testbed.js";

const PERSISTENT = BACKENDS.filter((b) => b.name !== "memory");
const run = `${process.pid}`;
let seq = 0;

interface Host {
  owner: string;
  view: DockerView;
  registry: Registry;
  r?: Registrator;
  events: Array<{ at: number; e: RegistratorEvent }>;
  containers: Dockerode.Container[];
}

/** A fresh backend namespace per test: a new ZooKeeper base path; Consul is one shared agent (unique names instead). */
function backendFor(b: Backend, n: number): Backend {
  return b.uri.startsWith("zk://") ? { ...b, uri: b.uri.replace(/\/portolan-it-[a-z]+\?/, `/portolan-iso-${run}-${n}?`) } : b;
}

describe.each(PERSISTENT)("two hosts on $name", (base: Backend) => {
  let hosts: Host[] = [];
  let n = 0;
  let svc = "";

  beforeAll(() => {
    n = ++seq;
  });

  async function host(letter: string, backend: Backend, mapping: Partial<MappingOptions> = {}): Promise<Host> {
    const owner = `iso-${letter}-${run}-${n}`;
    const h: Host = { owner, view: await startDockerView(owner), registry: await open(backend), events: [], containers: [] };
    hosts.push(h);
    const docker = httpDockerPort(dockerTarget({ DOCKER_HOST: h.view.dockerHost }));
    const opts = registratorOptions(owner);
    h.r = new Registrator(docker, h.registry, { ...opts, mapping: { ...opts.mapping, ...mapping } }, (e) => h.events.push({ at: Date.now(), e }));
    await h.r.start();
    return h;
  }

  async function container(h: Host, name: string, spec: Partial<TestContainerSpec> = {}) {
    const c = await startTestContainer({ ports: ["80/tcp"], ...spec, name: `${h.owner}-${name}`, labels: { ...spec.labels, [HOST_LABEL]: h.owner } });
    h.containers.push(c);
    return c;
  }

  const rejected = (h: Host) => h.events.flatMap(({ e }) => (e.type === "rejected" ? [e.rejection] : []));
  const backendErrors = (h: Host) => h.events.filter(({ e }) => e.type === "backend-error");
  const registeredAt = (h: Host, id: string) => h.events.find(({ e }) => e.type === "registered" && e.instance.id === id)?.at;
  const held = async (h: Host, id: string) => (await h.registry.listOwned(h.owner)).find((i) => i.id === id);

  /** An ordinary container started now on `h` is registered, and how long it took (start call to backend ack). */
  async function canary(h: Host, name: string): Promise<number> {
    const t0 = Date.now();
    await container(h, name, { env: { SERVICE_NAME: `${svc}-${name}` } });
    const id = `${h.owner}:${h.owner}-${name}:80`;
    await eventually(`canary ${name} registered`, () => registeredAt(h, id), 20_000);
    return registeredAt(h, id)! - t0;
  }

  afterEach(async () => {
    for (const h of hosts) await h.r?.stop({ deregisterAll: true, timeoutMs: 30_000 });
    await removeTestContainers();
    for (const h of hosts) {
      await h.registry.close();
      await h.view.close();
    }
    hosts = [];
    n = ++seq;
  });

  afterAll(async () => {
    await removeTestContainers();
  });

  it("0_takeover attempts: another host's ID is never written, replaced or deleted", async () => {
    svc = `iso${run}x${n}`;
    const backend = backendFor(base, n);
    const b = await host("b", backend);
    const a = await host("a", backend);
    const shared = `${svc}-shared`;
    await container(b, "victim", { env: { SERVICE_NAME: `${svc}-victim`, SERVICE_ID: shared } });
    const victim = await eventually("victim registered", () => held(b, shared));
    // Same name and ID: on ZooKeeper IDs are per service name, so this is the one path that could take it over.
    await container(a, "attacker", { env: { SERVICE_NAME: `${svc}-victim`, SERVICE_ID: shared } });
    await container(a, "namespace", { env: { SERVICE_NAME: `${svc}-ns`, SERVICE_ID: `${b.owner}:${b.owner}-victim:80` } });
    await eventually("both refusals", () => rejected(a).length >= 2);
    await canary(a, "canary-a");
    for (let i = 0; i < 2; i++) await Promise.all([a.r!.resync(), b.r!.resync()]);
    expect(rejected(a).map((r) => [r.container, r.key]), JSON.stringify(rejected(a))).toEqual([
      [`${a.owner}-attacker`, "SERVICE_ID"],
      [`${a.owner}-namespace`, "SERVICE_ID"],
    ]);
    // Curator's JSON (payload null) records no owner: the refusal names the holding session instead.
    expect(rejected(a)[0]!.reason).toContain(base.name === "zk-curator" ? "session 0x" : b.owner);
    expect(await held(b, shared)).toEqual(victim);
    expect(await held(a, shared)).toBeUndefined();
    await Promise.all(a.containers.map((c) => c.remove({ force: true })));
    await eventually("attacker's own entries gone", async () => (await a.registry.listOwned(a.owner)).length === 0);
    await a.r!.resync();
    expect(await held(b, shared)).toEqual(victim);
    expect(backendErrors(a)).toEqual([]);
  });

  it("1_one SERVICE_ID on two containers of one host: the first keeps it, the second takes over after it", async () => {
    svc = `iso${run}x${n}`;
    const a = await host("a", backendFor(base, n));
    const id = `${svc}-dup`;
    const first = await container(a, "first", { env: { SERVICE_NAME: `${svc}-dup`, SERVICE_ID: id } });
    const one = await eventually("first registered", () => held(a, id));
    await container(a, "second", { env: { SERVICE_NAME: `${svc}-dup`, SERVICE_ID: id } });
    await eventually("refusal", () => rejected(a).length === 1);
    await a.r!.resync();
    await a.r!.resync();
    expect(rejected(a)).toHaveLength(1);
    expect(rejected(a)[0]).toMatchObject({ container: `${a.owner}-second`, key: "SERVICE_ID" });
    expect(rejected(a)[0]!.reason).toContain(`${a.owner}-first`);
    expect(await held(a, id)).toEqual(one);
    await first.remove({ force: true });
    await eventually("second takes over", async () => (await held(a, id))?.container?.name === `${a.owner}-second`);
  });

  it("2_labels the backend refuses are logged once and block nothing", async () => {
    svc = `iso${run}x${n}`;
    const a = await host("a", backendFor(base, n));
    const bad: Array<[string, Record<string, string>]> = [
      ["reserved", { SERVICE_PORTOLAN_OWNER: "x" }],
      ["interval", { SERVICE_CHECK_TCP: "true", SERVICE_CHECK_INTERVAL: "99999999999h" }],
      ["dotdot", { SERVICE_ID: ".." }],
      ["slash", { SERVICE_ID: "a/b" }],
      ["tagctl", { SERVICE_TAGS: "a\nb" }],
      ["keys", Object.fromEntries(Array.from({ length: 63 }, (_, i) => [`SERVICE_K${i}`, "v"]))],
      ["long", { SERVICE_NOTE: "x".repeat(600) }],
    ];
    for (const [name, labels] of bad) await container(a, name, { labels: { ...labels, SERVICE_NAME: `${svc}-${name}` } });
    const before = await canary(a, "canary-1");
    for (let i = 0; i < 3; i++) await a.r!.resync();
    const after = await canary(a, "canary-2");
    const refused = new Set(rejected(a).map((r) => r.container.slice(a.owner.length + 1)));
    // Refused everywhere: portolan's own rules and IDs no backend can address. Consul also refuses its own limits.
    for (const name of ["reserved", "interval", "dotdot", "slash", "tagctl"]) expect(refused).toContain(name);
    if (a.registry.kind === "consul") for (const name of ["keys", "long"]) expect(refused).toContain(name);
    expect(rejected(a)).toHaveLength(refused.size);
    expect(backendErrors(a)).toEqual([]);
    expect(after).toBeLessThan(Math.max(5_000, before * 5));
  });

  it("3_a container with 2,000 ports neither delays an ordinary one nor the shutdown bound", async () => {
    svc = `iso${run}x${n}`;
    const a = await host("a", backendFor(base, n), { internal: true, maxServices: 5_000 });
    const ports = Array.from({ length: 2_000 }, (_, i) => `${20_000 + i}/tcp`);
    const t0 = Date.now();
    await container(a, "big", { ports, publish: false, env: { SERVICE_NAME: `${svc}-big` } });
    await eventually("big started registering", () => a.events.some(({ e }) => e.type === "registered" && e.instance.name.startsWith(`${svc}-big`)), 20_000);
    const latency = await canary(a, "small");
    const bigDoneBeforeSmall = a.events.filter(({ e }) => e.type === "registered" && e.instance.name.startsWith(`${svc}-big`)).length;
    expect(bigDoneBeforeSmall).toBeLessThan(2_000);
    expect(latency).toBeLessThan(5_000);
    await eventually("big registered", () => a.events.filter(({ e }) => e.type === "registered" && e.instance.name.startsWith(`${svc}-big`)).length === 2_000, 180_000, 250);
    const bigMs = Date.now() - t0;
    const stopT0 = Date.now();
    const result = await a.r!.stop({ deregisterAll: true, timeoutMs: 2_000 });
    const stopMs = Date.now() - stopT0;
    a.r = undefined;
    expect(stopMs).toBeLessThan(3_000);
    expect(result.deregistered + result.left.length).toBe(2_001);
    console.log(`[${a.registry.kind}] 2,000 ports registered in ${bigMs} ms; small container meanwhile ${latency} ms; stop: ${result.deregistered} removed, ${result.left.length} left in ${stopMs} ms`);
    // What the bounded stop left is this owner's, for the next start or --cleanup: remove it here.
    const rest = await a.registry.listOwned(a.owner);
    for (let i = 0; i < rest.length; i += 50) await Promise.all(rest.slice(i, i + 50).map((x) => a.registry.deregister(x)));
  });
});

describe("the owner read on Consul, counted by a proxy in front of the agent", () => {
  it("0_a container's default ID is written in one request; a SERVICE_ID is read first", async () => {
    const owner = `iso-count-${run}`;
    const proxy = new CountingProxy(TESTBED.consul);
    const [host, port] = (await proxy.start()).split(":");
    const view = await startDockerView(owner);
    const registry = new ConsulRegistry({ host: host!, port: Number(port) });
    const events: RegistratorEvent[] = [];
    const r = new Registrator(httpDockerPort(dockerTarget({ DOCKER_HOST: view.dockerHost })), registry, registratorOptions(owner), (e) => events.push(e));
    const registered = (id: string) => () => events.some((e) => e.type === "registered" && e.instance.id === id);
    const ownerReads = (c: Counts) => c.byEndpoint["GET /v1/agent/service/*"]?.requests ?? 0;
    const writes = (c: Counts) => c.byEndpoint["PUT /v1/agent/service/*"]?.requests ?? 0;
    try {
      await r.start();
      proxy.take();
      const labels = { [HOST_LABEL]: owner };
      await startTestContainer({ name: `${owner}-web`, ports: ["80/tcp"], env: { SERVICE_NAME: `iso${run}count` }, labels });
      await eventually("default ID registered", registered(`${owner}:${owner}-web:80`));
      const dflt = proxy.take();
      await startTestContainer({ name: `${owner}-api`, ports: ["80/tcp"], env: { SERVICE_NAME: `iso${run}count`, SERVICE_ID: `${owner}-custom` }, labels });
      await eventually("SERVICE_ID registered", registered(`${owner}-custom`));
      const custom = proxy.take();
      expect([ownerReads(dflt), writes(dflt)], JSON.stringify(dflt.byEndpoint)).toEqual([0, 1]);
      expect([ownerReads(custom), writes(custom)], JSON.stringify(custom.byEndpoint)).toEqual([1, 1]);
    } finally {
      await r.stop({ deregisterAll: true, timeoutMs: 10_000 });
      await removeTestContainers();
      await registry.close();
      await view.close();
      await proxy.stop();
    }
  });
});

describe("portolan registrator process: shutdown under load", () => {
  const consul = PERSISTENT.find((b) => b.name === "consul")!;

  it("0_SIGTERM with --deregister-on-exit exits within --shutdown-timeout while registering 2,000 ports", async () => {
    const owner = `iso-cli-${run}`;
    const view = await startDockerView(owner);
    const registry = await open(consul);
    try {
      const ports = Array.from({ length: 2_000 }, (_, i) => `${20_000 + i}/tcp`);
      await startTestContainer({ name: `${owner}-big`, ports, publish: false, env: { SERVICE_NAME: `iso${run}cli-big` }, labels: { [HOST_LABEL]: owner } });
      const flags = ["--hostname", owner, "--internal", "--max-services", "5000", "--resync", "0", "--deregister-on-exit", "--shutdown-timeout", "2s", "--log-format", "json"];
      const proc = startCli(["registrator", ...flags, consul.uri], { DOCKER_HOST: view.dockerHost });
      await eventually("500 registered", () => (proc.logs().match(/"msg":"registered"/g) ?? []).length >= 500, 120_000, 200);
      const t0 = Date.now();
      proc.proc.kill("SIGTERM");
      const exit = await proc.exited;
      const ms = Date.now() - t0;
      expect(exit.code).toBe(0);
      expect(ms).toBeLessThan(3_500);
      expect(proc.logs()).toMatch(/"msg":"(shutdown done|shutdown timeout: \d+ entries left registered[^"]*)"/);
    } finally {
      await removeTestContainers();
      const rest = await registry.listOwned(owner);
      for (let i = 0; i < rest.length; i += 50) await Promise.all(rest.slice(i, i + 50).map((x) => registry.deregister(x)));
      await registry.close();
      await view.close();
    }
  });
});
