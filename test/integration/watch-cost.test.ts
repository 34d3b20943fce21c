// What a reading process asks of Consul, counted by a loopback proxy in front of the test bed's agent (DESIGN.md
// "Cost rule for a fleet"): a change costs each watcher at most 2 reads whatever the catalog's size, an idle
// process sends no listing, `up` runs one watch, and no process prints Node's MaxListenersExceededWarning.
import { createServer, type Server } from "node:http";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { connect, createServer as createTcpServer, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { ConsulRegistry } from "../../adapters/consul/index.js";
import { CountingProxy, type Counts } from "../../bench/counting-proxy.js";
import type { Instance } from "../../src/core/model.js";
import { openRegistry } from "../../src/cli/registry-uri.js";
import { silentLogger } from "../../src/core/log.js";
import { until } from "../support/until.js";
import { startCli, type Running } from "./cli.js";
import { TESTBED } from "./testbed.js";

const RUN = `wc${process.pid}`;
const SERVICES = 25;
const OTHER = `${RUN}-other-host`;
const reg = new ConsulRegistry({ ...TESTBED.consul });
const proxy = new CountingProxy(TESTBED.consul);
let proxied = "";
let engine: Server | undefined;
const running: Running[] = [];

const inst = (s: number, k: number): Instance => ({
  id: `${OTHER}:${RUN}-s${s}-${k}:80`,
  name: `${RUN}-s${s}`,
  address: "127.0.0.1",
  port: 10_000 + s * 10 + k,
  protocol: "tcp",
  tags: ["t"],
  meta: {},
  checks: [],
  health: "passing",
  owner: OTHER,
});

beforeAll(async () => {
  for (let s = 0; s < SERVICES; s++) for (const k of [0, 1]) await reg.register(inst(s, k));
  proxied = await proxy.start();
});

// A test that failed before stopping its process must not leave it asking the proxy during the next test.
afterEach(() => {
  for (const r of running) if (r.proc.exitCode === null && r.proc.signalCode === null) r.proc.kill("SIGKILL");
});

afterAll(async () => {
  for (const r of running) {
    r.proc.kill("SIGTERM");
    await r.exited;
  }
  await proxy.stop();
  engine?.close();
  for (const i of await reg.listOwned(OTHER).catch(() => [])) await reg.deregister(i);
  await reg.close();
});

/** GET /v1/health/service/<name> per name of this run's services (other suites change the shared agent meanwhile). */
function ourReads(c: Readonly<Counts>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [path, t] of Object.entries(c.byPath)) {
    const name = /^GET \/v1\/health\/service\/(.+)$/.exec(path)?.[1];
    if (name?.startsWith(`${RUN}-`)) out[name] = t.requests;
  }
  return out;
}

function start(args: string[], env: Record<string, string> = {}): Running {
  const r = startCli([...args, "--log-format", "json"], env);
  running.push(r);
  return r;
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Runs `change`, waits until this run's services were read and 1 s more (the unlocated grace is 500 ms); the cost. */
async function costOf(change: () => Promise<void>): Promise<Counts> {
  proxy.take();
  await change();
  await until("the change read", () => Object.keys(ourReads(proxy.peek())).length > 0, 10_000);
  await pause(1000);
  return proxy.take();
}

async function stopped(r: Running): Promise<void> {
  r.proc.kill("SIGTERM");
  expect((await r.exited).code).toBe(0);
  expect(r.logs()).not.toContain("MaxListenersExceededWarning");
}

describe(`cost of a change with ${SERVICES} services`, () => {
  it("0_dns: an added instance, a health change and a removal each read only the changed service; no listener warning", async () => {
    const dns = start(["dns", "--registry", `consul://${proxied}`, "--listen", "127.0.0.1:0"]);
    await until("the first catalog read", () => Object.keys(ourReads(proxy.peek())).length >= SERVICES, 30_000);
    await pause(500);
    const added = inst(7, 2);
    const costs = [
      await costOf(() => reg.register(added)),
      await costOf(() => reg.setHealth(added, "critical", "down")),
      await costOf(() => reg.deregister(added)),
    ];
    for (const c of costs) {
      expect(ourReads(c)).toEqual({ [added.name]: 1 });
      // At most 2 reads (the re-armed long polls aside), plus what other suites' changes cost meanwhile.
      const foreign = Object.entries(c.byPath).filter(([p]) => p.startsWith("GET /v1/health/service/") && !p.includes(`/${RUN}-`));
      expect(c.reads.requests - foreign.reduce((n, [, t]) => n + t.requests, 0)).toBeLessThanOrEqual(2);
    }
    await stopped(dns);
  });
});

describe("an idle process lists nothing", () => {
  it("0_catalog_serve: the backend probe is GET /v1/status/leader, never a listing", async () => {
    const serve = start(["catalog", "serve", "--registry", `consul://${proxied}`, "--listen", "127.0.0.1:0"]);
    await until("the first catalog read", () => Object.keys(ourReads(proxy.peek())).length >= SERVICES, 30_000);
    await pause(500);
    proxy.take();
    const t0 = Date.now();
    // The probe runs every 6 s while the backend answers (at 2 s it would be six or seven in 13 s). Other suites may
    // load the shared agent (one registers 2,000 services), which delays answers: wait for two probes, then count.
    const probes = () => proxy.peek().byPath["GET /v1/status/leader"]?.requests ?? 0;
    await until("two backend probes", () => probes() >= 2, 40_000, 100);
    await pause(Math.max(0, 13_000 - (Date.now() - t0)));
    const idle = proxy.take();
    const paths = Object.keys(idle.byPath).filter((p) => !p.startsWith("GET /v1/health/service/") || p.includes(`/${RUN}-`));
    const windows = Math.ceil((Date.now() - t0) / 6_000);
    expect(idle.byPath["GET /v1/status/leader"]?.requests ?? 0).toBeLessThanOrEqual(windows + 1);
    expect(paths.filter((p) => p !== "GET /v1/status/leader" && p !== "GET /v1/catalog/services" && p !== "GET /v1/health/state/any")).toEqual([]);
    await stopped(serve);
  });

  it("1_up: one watch for the DNS shim and the catalog (one long poll per service), one for the refusals; the resync reads only what this host owns", async () => {
    // An empty Docker engine on loopback: `up` registers nothing, so every request to Consul is its reading side.
    engine = createServer((req, res) => {
      if (req.url!.includes("/events")) return void res.writeHead(200, { "content-type": "application/json" }).flushHeaders();
      res.writeHead(200, { "content-type": "application/json" }).end(req.url!.includes("/containers/json") ? "[]" : "{}");
    });
    await new Promise<void>((r) => engine!.listen(0, "127.0.0.1", r));
    const up = start(
      ["up", "--registry", `consul://${proxied}`, "--listen", "127.0.0.1:0", "--dns", "127.0.0.1:0", "--hostname", `${RUN}-up`, "--resync", "1s"],
      { DOCKER_HOST: `tcp://127.0.0.1:${(engine.address() as AddressInfo).port}` },
    );
    await until("up's first catalog read", () => Object.keys(ourReads(proxy.peek())).length >= SERVICES, 30_000);
    await pause(2500); // a couple of resyncs
    // Its one watch: the names' long poll and one per service (each of this run's services: one poll open, where two
    // watches would hold two), and the shared refusals' one (a blocking query on KV portolan/refusals/). A poll the
    // shared agent answers (another suite's change) is open again a moment later. Other suites' services count
    // too: with more than 128 names on the shared agent the watch follows health/state/any instead, one poll.
    const open = (path: string) => proxy.openByPath.get(path) ?? 0;
    const mine = Array.from({ length: SERVICES }, (_, s) => `GET /v1/health/service/${RUN}-s${s}`);
    const settled = () =>
      open("GET /v1/catalog/services") === 1 &&
      open("GET /v1/kv/portolan/refusals/") === 1 &&
      (mine.every((p) => open(p) === 1) ? open("GET /v1/health/state/any") === 0 : open("GET /v1/health/state/any") === 1 && mine.every((p) => open(p) === 0));
    await until("one watch's long polls open", settled, 20_000, 20);
    await pause(1000);
    expect(open("GET /v1/catalog/services")).toBeLessThanOrEqual(1);
    expect(Math.max(...mine.map(open))).toBeLessThanOrEqual(1);
    expect(open("GET /v1/health/state/any")).toBeLessThanOrEqual(1);
    const c = proxy.take();
    // Refusals: a read of all hosts' documents (again when another suite's registrator changes its own on the shared
    // agent), and at start one write of this host's (none refused: removed).
    expect(c.byPath["GET /v1/kv/portolan/refusals/"]?.requests).toBeGreaterThanOrEqual(1);
    expect(c.byPath[`DELETE /v1/kv/portolan/refusals/${RUN}-up`]?.requests).toBe(1);
    // Every service read once, by one watch (two watches read each twice).
    expect(Math.max(...Object.values(ourReads(c)))).toBe(1);
    const owned = c.byPath["GET /v1/agent/services"];
    expect(owned?.requests ?? 0).toBeGreaterThanOrEqual(2);
    // This host owns nothing: the filtered answer is "{}", not the agent's 50+ services of this run.
    expect(owned!.bytes / owned!.requests).toBeLessThan(10);
    expect(c.byPath["GET /v1/agent/checks"]).toBeUndefined(); // and no checks to read for it
    await stopped(up);
  });
});

describe("an idle catalog over ZooKeeper lists nothing", () => {
  it("0_catalog_serve: the probe is the session's connection state: idle, only the client's pings reach ZooKeeper", async () => {
    const [zkHost, zkPort] = TESTBED.zkStandalone.split(":");
    // A loopback TCP relay counting what the catalog process sends to ZooKeeper.
    let sent = 0;
    const relay = createTcpServer((c) => {
      const u = connect(Number(zkPort), zkHost);
      c.on("data", (d: Buffer) => {
        sent += d.length;
        u.write(d);
      });
      u.pipe(c);
      c.on("close", () => u.destroy());
      u.on("close", () => c.destroy());
      c.on("error", () => u.destroy());
      u.on("error", () => c.destroy());
    });
    await new Promise<void>((r) => relay.listen(0, "127.0.0.1", r));
    const base = `/portolan-watch-cost-${process.pid}`;
    const writer = await openRegistry(`zk://${TESTBED.zkStandalone}${base}?format=curator`, { logger: silentLogger() });
    try {
      for (let s = 0; s < 21; s++) await writer.register(inst(s, 0));
      const serve = start(["catalog", "serve", "--registry", `zk://127.0.0.1:${(relay.address() as AddressInfo).port}${base}?format=curator`, "--listen", "127.0.0.1:0"]);
      await until("the catalog listening", () => serve.logs().includes("catalog listening"), 30_000);
      await pause(2000); // the tree read and its watches set
      const before = sent;
      await pause(6000); // three probes
      const idleBytes = sent - before;
      // A getChildren per service per probe is ~21 x 3 x 50 bytes; a ping is 12 bytes, every third of the session timeout.
      expect(idleBytes).toBeLessThan(200);
      await stopped(serve);
    } finally {
      for (let s = 0; s < 21; s++) await writer.deregister(inst(s, 0)).catch(() => {});
      await writer.close();
      relay.close();
    }
  });
});

describe("a template reader asks only for what it uses", () => {
  it("0_exec_watch: start reads the used service only; another service's change costs nothing, the used one's 1 request", async () => {
    const dir = await mkdtemp(join(tmpdir(), "portolan-watch-cost-"));
    const used = `${RUN}-s4`;
    const tpl = join(dir, "t.mustache");
    const dest = join(dir, "out");
    await writeFile(tpl, `{{#services.${used}}}{{hostPort}} {{/services.${used}}}\n`);
    proxy.take();
    const exec = start(["exec", "--registry", `consul://${proxied}`, "--watch", "--watch-min-quiet", "100ms", "--template", `${tpl}:${dest}`, "--",
      "sh", "-c", "trap 'exit 0' TERM; trap 'echo reloaded' HUP; echo ready; while :; do sleep 0.1; done"]);
    try {
      await until("child ready", () => exec.logs().includes("ready"), 30_000);
      await pause(300);
      const startCost = proxy.take();
      // One read of the used service, which is also the permission check (as consul-template: 1 request); no other
      // service, no catalog-wide poll, no separate ACL probe.
      expect(Object.keys(startCost.byPath).sort()).toEqual([`GET /v1/health/service/${used}`]);
      expect(startCost.byPath[`GET /v1/health/service/${used}`]!.requests).toBe(1);
      const other = inst(9, 5);
      await reg.register(other);
      await pause(1000);
      const otherCost = proxy.take();
      expect(otherCost.byPath).toEqual({});
      const mine = inst(4, 5);
      await reg.register(mine);
      await until("re-render", async () => (await readFile(dest, "utf8")).includes(`:${mine.port}`), 10_000);
      await pause(300);
      expect(proxy.take().total.requests).toBe(1); // the long poll's answer (re-armed)
      await reg.deregister(other);
      await reg.deregister(mine);
      await stopped(exec);
    } finally {
      exec.proc.kill("SIGKILL");
      await rm(dir, { recursive: true, force: true });
    }
  });
});
