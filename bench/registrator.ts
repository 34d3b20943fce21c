// Registrator benchmark on the real test bed: `npm run bench:registrator [-- --containers 200 --backends consul,zk]`.
// Prints, per backend: start-event -> visible latency (p50/p99) for containers started one by one, a storm of
// N containers started at once (lost, time to converge) and removed at once (dangling, time), cold-start
// reconcile time and peak RSS with N running containers. Reference in the same run: the backend's own write
// latency (a direct register through the same adapter), so the ratio shows what portolan adds; and, for Consul,
// gliderlabs/registrator against the same agent (phase `gliderlabs`, bench/gliderlabs.ts): start -> visible in the
// agent (p50/p99) for each, in alternating blocks, the requests each write takes, and the same storm; and phase
// `rss` (bench/registrator-rss.ts): RSS with 40 running containers beside gliderlabs/registrator and an idle node.
// It needs the test bed (`bash scripts/testbed.sh up`): what is not reachable is said before anything starts.
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { createInterface } from "node:readline";
import Dockerode from "dockerode";
import { openRegistry } from "../src/cli/registry-uri.js";
import { BackendUnavailableError } from "../src/core/errors.js";
import { silentLogger } from "../src/core/log.js";
import type { Instance } from "../src/core/model.js";
import type { Registry } from "../src/core/registry.js";
import { delay, mapBounded } from "../src/core/util.js";
import { compareWithGliderlabs, findGliderlabs, percentile } from "./gliderlabs.js";
import { compareRss } from "./registrator-rss.js";
import { benchArgs } from "./args.js";

const args = benchArgs("registrator", {
  containers: { type: "string", default: "200" },
  phases: { type: "string", default: "latency,storm,gliderlabs,rss" },
  // Phase rss: running containers while the RSS of each registrator is read, and alternating rounds.
  "rss-containers": { type: "string", default: "40" },
  "rss-rounds": { type: "string", default: "3" },
  // gliderlabs/registrator's binary (default: the newest registrator-gliderlabs-* in ~/.cache/portolan).
  gliderlabs: { type: "string" },
  backends: { type: "string", default: "consul,zk" },
  image: { type: "string", default: "portolan-test/busybox:latest" },
  // The test bed's servers; dockerd is DOCKER_HOST's, else /var/run/docker.sock.
  consul: { type: "string", default: "consul://127.0.0.1:18500" },
  zk: { type: "string", default: "zk://127.0.0.1:21810/portolan-bench?format=curator" },
});
const N = Number(args.containers);
const PHASES = new Set(args.phases!.split(","));
const URIS: Record<string, string> = { consul: args.consul!, zk: args.zk!, memory: "memory:" };
const START_TESTBED = "start it with `bash scripts/testbed.sh up` (see what runs: `bash scripts/testbed.sh status`)";
/** How long each part of the test bed gets to answer before the bench says it is not there. */
const PREFLIGHT_MS = 5_000;
// The `portolan` command as installed (bin/portolan, which sets the daemon's V8 flags).
const BIN = new URL("../../bin/portolan", import.meta.url).pathname;
const docker = new Dockerode();
const LABEL = "portolan.bench";

const pct = percentile;
const ms = (n: number) => `${n.toFixed(1)} ms`;

async function cleanupContainers(): Promise<void> {
  const list = await docker.listContainers({ all: true, filters: { label: [LABEL] } });
  await mapBounded(list, 16, (c) => docker.getContainer(c.Id).remove({ force: true }).catch(() => {}));
}

function create(name: string): Promise<Dockerode.Container> {
  return docker.createContainer({
    name, Image: args.image, Cmd: ["sleep", "3600"], Env: [`SERVICE_NAME=${name}`], Labels: { [LABEL]: "1" }, StopSignal: "SIGKILL",
    ExposedPorts: { "80/tcp": {} }, HostConfig: { PortBindings: { "80/tcp": [{ HostIp: "127.0.0.1", HostPort: "" }] } },
  });
}

/** Wall-clock time (ms) at which each id first appears in the backend's own watch. */
function watchAppear(reg: Registry, signal: AbortSignal) {
  const seen = new Map<string, number>();
  const current = new Set<string>();
  const done = (async () => {
    for await (const snap of reg.watch(signal)) {
      current.clear();
      for (const i of snap.instances) {
        current.add(i.id);
        if (!seen.has(i.id)) seen.set(i.id, Date.now());
      }
    }
  })();
  return { seen, current, done };
}

interface RunningRegistrator {
  proc: ChildProcess;
  /** Wall-clock time at which the registrator logged each id as registered (the backend acknowledged the write). */
  registeredAt: Map<string, number>;
  resyncMs: Promise<number>;
}

function startRegistrator(uri: string, owner: string): RunningRegistrator {
  const proc = spawn(BIN, ["registrator", "--hostname", owner, "--cleanup", "--resync", "0", "--log-format", "json", "--log-level", "info", uri], { stdio: ["ignore", "ignore", "pipe"] });
  let buf = "";
  const registeredAt = new Map<string, number>();
  const resyncMs = new Promise<number>((resolve) => {
    proc.stderr!.setEncoding("utf8").on("data", (d: string) => {
      buf += d;
      let nl: number;
      while ((nl = buf.indexOf("\n")) >= 0) {
        const line = JSON.parse(buf.slice(0, nl)) as { msg: string; time: string; id?: string; durationMs?: number };
        buf = buf.slice(nl + 1);
        if (line.msg === "registered" && line.id) registeredAt.set(line.id, Date.parse(line.time));
        if (line.msg === "resync done") resolve(line.durationMs!);
      }
    });
  });
  return { proc, registeredAt, resyncMs };
}

function peakRssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  return Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? NaN) / 1024;
}

async function until(what: string, cond: () => boolean, timeoutMs: number): Promise<number> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await delay(5);
  }
  return Date.now() - t0;
}

async function directWriteLatency(reg: Registry, owner: string, seen: Map<string, number>): Promise<number[]> {
  const lat: number[] = [];
  for (let k = 0; k < 50; k++) {
    const inst: Instance = { id: `${owner}:direct:${k}`, name: "direct", address: "127.0.0.1", port: 1000 + k, protocol: "tcp", tags: [], meta: {}, checks: [], health: "passing", owner };
    const t0 = Date.now();
    await reg.register(inst);
    await until("direct write visible", () => seen.has(inst.id), 10_000);
    lat.push(seen.get(inst.id)! - t0);
  }
  for (let k = 0; k < 50; k++) await reg.deregister({ id: `${owner}:direct:${k}`, name: "direct" });
  return lat;
}

async function benchBackend(name: string): Promise<void> {
  const uri = URIS[name];
  if (!uri) throw new Error(`unknown backend ${name}`);
  const owner = `bench-${name}`;
  const reg = await openRegistry(uri, { logger: silentLogger() });
  const abort = new AbortController();
  const w = watchAppear(reg, abort.signal);
  await cleanupContainers();
  const direct = await directWriteLatency(reg, owner, w.seen);

  // Start events: dockerd's own timestamps.
  const startAt = new Map<string, number>();
  const evAbort = new AbortController();
  const events = (await docker.getEvents({ filters: { type: ["container"], event: ["start"] }, abortSignal: evAbort.signal } as object)) as NodeJS.ReadableStream;
  // Line by line: a chunk of the stream can end in the middle of an event. Ending the stream (our abort) makes it
  // emit 'error' (ECONNRESET, "aborted"), which readline re-emits on the interface: expected then, fatal before.
  const lines = createInterface({ input: events });
  const onStreamError = (err: Error) => {
    if (evAbort.signal.aborted) return;
    console.error(`bench: the docker events stream failed: ${err.message}`);
    process.exit(1);
  };
  events.on("error", onStreamError);
  lines.on("error", onStreamError);
  lines.on("line", (line) => {
    if (!line) return;
    const e = JSON.parse(line) as { Actor: { Attributes: { name: string } }; timeNano: number };
    startAt.set(e.Actor.Attributes.name, e.timeNano / 1e6);
  });

  let reg1 = startRegistrator(uri, owner);
  await reg1.resyncMs;
  const idOf = (cname: string) => `${owner}:${cname}:80`;

  // 1. Latency, one container at a time.
  const lat: number[] = [];
  const watchLat: number[] = [];
  for (let k = 0; PHASES.has("latency") && k < N; k++) {
    const cname = `${owner}-lat-${k}`;
    const c = await create(cname);
    await c.start();
    await until(`${cname} visible`, () => w.seen.has(idOf(cname)) && startAt.has(cname) && reg1.registeredAt.has(idOf(cname)), 30_000);
    lat.push(reg1.registeredAt.get(idOf(cname))! - startAt.get(cname)!);
    watchLat.push(w.seen.get(idOf(cname))! - startAt.get(cname)!);
  }
  await cleanupContainers();
  await until("latency containers gone", () => ![...w.current].some((id) => id.includes("-lat-")), 120_000);

  console.log(`\n== ${name} (${uri}), ${N} containers`);
  const p50 = pct(lat, 50), p99 = pct(lat, 99), d50 = pct(direct, 50), d99 = pct(direct, 99);
  if (PHASES.has("latency")) {
    console.log(`start event -> written (backend acknowledged)   p50 ${ms(p50)}  p99 ${ms(p99)}   (target p50 <= 30 ms, p99 <= 100 ms)`);
    console.log(`start event -> seen by a watcher of the backend p50 ${ms(pct(watchLat, 50))}  p99 ${ms(pct(watchLat, 99))}`);
    console.log(`reference: direct adapter write -> seen by the same watcher  p50 ${ms(d50)}  p99 ${ms(d99)}   (watcher ratio p50 ${(pct(watchLat, 50) / d50).toFixed(2)}x)`);
  }
  if (name === "consul" && PHASES.has("gliderlabs")) {
    const bin = findGliderlabs(args.gliderlabs);
    if (!bin) {
      console.log("gliderlabs/registrator: not run (no --gliderlabs PATH and no registrator-gliderlabs-* in ~/.cache/portolan; docs/benchmarks.md says how to build it)");
    } else {
      const stopped = new Promise((r) => reg1.proc.once("exit", r));
      reg1.proc.kill("SIGTERM");
      await stopped;
      await compareWithGliderlabs({
        bin, n: N, startAt, create, removeAll: cleanupContainers, startPortolan: startRegistrator, owner,
      });
      reg1 = startRegistrator(uri, owner);
      await reg1.resyncMs;
    }
  }
  if (name === "consul" && PHASES.has("rss")) {
    const stopped = new Promise((r) => reg1.proc.once("exit", r));
    reg1.proc.kill("SIGTERM");
    await stopped;
    const gliderlabs = findGliderlabs(args.gliderlabs);
    if (!gliderlabs) console.log("rss: gliderlabs/registrator not measured (no binary; see phase gliderlabs)");
    await compareRss({
      n: Number(args["rss-containers"]), rounds: Number(args["rss-rounds"]), gliderlabs, create, removeAll: cleanupContainers, startPortolan: startRegistrator, owner,
    });
    reg1 = startRegistrator(uri, owner);
    await reg1.resyncMs;
  }
  if (!PHASES.has("storm")) {
    reg1.proc.kill("SIGTERM");
    evAbort.abort();
    abort.abort();
    await reg.close();
    return;
  }

  // 2. Storm: N at once.
  const names = Array.from({ length: N }, (_, k) => `${owner}-storm-${k}`);
  const created = await Promise.all(names.map((n) => create(n)));
  const t0 = Date.now();
  await mapBounded(created, 32, (c) => c.start());
  const startedMs = Date.now() - t0;
  const afterLastStart = await until("storm registered", () => names.every((n) => w.current.has(idOf(n))), 120_000).catch(() => NaN);
  const convergeUp = startedMs + afterLastStart;
  const lost = names.filter((n) => !w.current.has(idOf(n))).length;

  // 3. Cold start with N running: SIGKILL the registrator, start a fresh one.
  reg1.proc.kill("SIGKILL");
  await delay(200);
  const reg2 = startRegistrator(uri, owner);
  const coldResync = await reg2.resyncMs;
  await delay(500);
  const rss = peakRssMiB(reg2.proc.pid!);

  // 4. Storm down: all removed at once.
  const t1 = Date.now();
  await cleanupContainers();
  const removeMs = Date.now() - t1;
  const afterLastRemove = await until("storm deregistered", () => !names.some((n) => w.current.has(idOf(n))), 120_000).catch(() => NaN);
  const convergeDown = removeMs + afterLastRemove;
  const dangling = names.filter((n) => w.current.has(idOf(n))).length;
  const rssAfter = peakRssMiB(reg2.proc.pid!);

  reg2.proc.kill("SIGTERM");
  evAbort.abort();
  abort.abort();
  await reg.close();

  console.log(`storm up:   ${N} started by dockerd in ${startedMs} ms; all registered ${ms(afterLastStart)} after the last start (${ms(convergeUp)} after the first); lost ${lost}   (target <= 5000 ms, 0 lost)`);
  console.log(`cold start: reconcile of ${N} running containers ${ms(coldResync)}; peak RSS ${rssAfter.toFixed(1)} MiB (${rss.toFixed(1)} MiB after reconcile)   (target <= 80 MiB)`);
  console.log(`storm down: ${N} removed by dockerd in ${removeMs} ms; all deregistered ${ms(afterLastRemove)} after the last removal (${ms(convergeDown)} after the first); dangling ${dangling}`);
}

/** `p`, or a rejection naming `what` after PREFLIGHT_MS. */
function answersWithin<T>(what: string, p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: no answer within ${PREFLIGHT_MS} ms`)), PREFLIGHT_MS)));
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

/** What the bench needs and cannot reach (dockerd, the image, each backend), each with the reason; empty when all answer. */
async function preflight(backends: string[]): Promise<string[]> {
  const missing: string[] = [];
  const why = (err: unknown) => (err instanceof Error ? err.message : String(err));
  const dockerWhere = process.env.DOCKER_HOST ?? "/var/run/docker.sock";
  try {
    await answersWithin("dockerd", docker.ping());
    try {
      await answersWithin("docker image inspect", docker.getImage(args.image!).inspect());
    } catch (err) {
      missing.push(`image ${args.image} (${why(err)})`);
    }
  } catch (err) {
    missing.push(`dockerd at ${dockerWhere} (${why(err)})`);
  }
  for (const b of backends) {
    const uri = URIS[b];
    if (!uri) throw new Error(`unknown backend ${b} (consul, zk, memory)`);
    if (uri === "memory:") continue;
    const reg = await openRegistry(uri, { logger: silentLogger() });
    try {
      // A read of what this bench owns: cheap, and it needs the server to answer.
      await answersWithin(uri, reg.listOwned(`bench-${b}`));
    } catch (err) {
      missing.push(`${b} at ${uri} (${why(err)})`);
    } finally {
      await answersWithin(`${uri} close`, reg.close()).catch(() => {});
    }
  }
  return missing;
}

const backends = args.backends!.split(",").map((b) => b.trim());
const missing = await preflight(backends);
if (missing.length > 0) {
  console.error(`bench:registrator needs the test bed; not reachable:\n${missing.map((m) => `  - ${m}`).join("\n")}\n${START_TESTBED}`);
  process.exit(69);
}
try {
  for (const b of backends) await benchBackend(b);
} catch (err) {
  // A server of the test bed that went away mid-run: say which and what to do, not a stack trace.
  if (!(err instanceof BackendUnavailableError)) throw err;
  console.error(`bench:registrator: ${err.message}\nthe test bed stopped answering; ${START_TESTBED}`);
  process.exit(69);
}
process.exit(0);
