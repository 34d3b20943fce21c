// One fleet run: backend cluster, hosts, watchers, then the scenarios in order; everything started is stopped and
// the temporary directory removed at the end, on failure too (the caller adds SIGINT).
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { dnsperf } from "../dns-perf.js";
import { injectFault } from "./faults.js";
import { Fleet, type BackendName, type Host, type WatcherCounts } from "./fleet.js";
import { pause, PortRange, ProcSet } from "./procs.js";
import { Churn, converge, p, probe, withCpu, type ScenarioContext, type ScenarioResult } from "./scenarios.js";

export const CONSUL_FAULTS = ["consul-leader-kill", "agent-restart", "registrator-kill", "engine-restart", "host-cutoff"] as const;
export const ZOOKEEPER_FAULTS = ["zk-leader-kill", "zk-session-expiry", "registrator-kill", "engine-restart", "host-cutoff"] as const;

export interface FleetOptions {
  backend: BackendName;
  hosts: number;
  containers: number;
  services: number;
  hostsPerAgent: number;
  /** How long a host is cut off from its backend. */
  cutMs: number;
  churnPerSecond: number;
  churnSeconds: number;
  probes: number;
  /** Instances swapped by the blue/green scenario. */
  blueGreen: number;
  faults: readonly string[];
  convergeTimeoutMs: number;
  coldTimeoutMs: number;
  zkSessionTimeoutMs: number;
  /** Seconds of dnsperf and catalog requests at full size (0: skipped). */
  loadSeconds: number;
  cli: string;
  ports: { first: number; last: number };
  procs?: ProcSet;
  /** Working directory (sockets, data dirs, logs); removed at the end unless `keepDir`. Default: a new temporary one. */
  dir?: string;
  /** Keep the working directory (logs of every process) instead of removing it. */
  keepDir?: boolean;
  log: (line: string) => void;
}

export interface FleetResult {
  backend: BackendName;
  hosts: number;
  containersPerHost: number;
  instances: number;
  agents: number;
  hostsPerAgent: number;
  lost: number;
  dangling: number;
  wrongHealth: number;
  changeToDnsP50Ms: number;
  changeToDnsP99Ms: number;
  probesMissed: number;
  /** Changes the probes made (a start and a removal each): what the per-change figures divide by. */
  probeChanges: number;
  readsPerChange: number;
  requestsPerChange: number;
  bytesPerChange: number;
  perWatcher: Array<{ name: string } & WatcherCounts>;
  registratorRssMaxMiB: number;
  registratorRssAvgMiB: number;
  dnsQps: number;
  dnsP99Ms: number;
  catalogP99Ms: number;
  scenarios: ScenarioResult[];
}

/** How long until the catalog at `port` lists svc-0 … svc-(services-1); undefined past `maxMs`. */
async function catalogReady(port: number, services: number, maxMs: number): Promise<number | undefined> {
  const t0 = Date.now();
  while (Date.now() - t0 < maxMs) {
    const body = (await fetch(`http://127.0.0.1:${port}/v1/services`, { signal: AbortSignal.timeout(10_000) })
      .then((r) => r.json())
      .catch(() => undefined)) as { services?: { name: string }[] } | undefined;
    const names = new Set(body?.services?.map((x) => x.name));
    if (Array.from({ length: services }, (_, k) => `svc-${k}`).every((n) => names.has(n))) return Date.now() - t0;
    await new Promise((r) => setTimeout(r, 100));
  }
  return undefined;
}

/** The p99 of the catalog's answers, and what it answered otherwise ("HTTP 503 x12", "timeout x1"): never a bare NaN. */
async function catalogP99(port: number, services: number, seconds: number): Promise<{ p99: number; failed: string }> {
  const lat: number[] = [];
  const failed = new Map<string, number>();
  const count = (what: string) => failed.set(what, (failed.get(what) ?? 0) + 1);
  const end = Date.now() + seconds * 1000;
  for (let i = 0; Date.now() < end; i++) {
    const t0 = performance.now();
    try {
      const r = await fetch(`http://127.0.0.1:${port}/v1/services/svc-${i % services}`, { signal: AbortSignal.timeout(10_000) });
      await r.arrayBuffer();
      if (r.ok) lat.push(performance.now() - t0);
      else count(`HTTP ${r.status}`);
    } catch (err) {
      count((err as Error).name === "TimeoutError" ? "no answer in 10 s" : (err as Error).message);
    }
  }
  return { p99: p(lat, 99), failed: [...failed].map(([what, n]) => `${what} x${n}`).join(", ") };
}

export async function runFleet(o: FleetOptions): Promise<FleetResult> {
  const dir = o.dir ?? mkdtempSync(join(tmpdir(), "portolan-fleet-"));
  const procs = o.procs ?? new ProcSet();
  const fleet = new Fleet({ ...o, dir, procs, ports: new PortRange(o.ports.first, o.ports.last) });
  const ctx: ScenarioContext = { fleet, convergeTimeoutMs: o.convergeTimeoutMs, log: o.log };
  const rss = { max: 0, sum: 0, n: 0 };
  const sampler = setInterval(() => {
    for (const h of fleet.hosts) {
      const mib = h.registrator?.alive ? h.registrator.rssMiB() : 0;
      if (mib > 0) {
        rss.max = Math.max(rss.max, mib);
        rss.sum += mib;
        rss.n++;
      }
    }
  }, 2000);
  const scenarios: ScenarioResult[] = [];
  const record = (r: ScenarioResult) => {
    scenarios.push(r);
    o.log(`${r.name}: ${r.changes} changes, lost ${r.lost}, dangling ${r.dangling}, wrong health ${r.health}, converged ${r.convergeMs ?? "NOT"} ms, backend CPU ${r.backendCpuS.toFixed(1)} s${r.note ? `; ${r.note}` : ""}`);
  };
  try {
    await fleet.startBackend();
    await fleet.createHosts();
    await fleet.startWatchers();
    const total = o.hosts * o.containers;

    // Cold start: every engine already runs its M containers; all registrators start at once.
    let instances = 0;
    {
      const cold = await withCpu(fleet, async () => {
        const t0 = Date.now();
        for (const h of fleet.hosts) fleet.startRegistrator(h);
        return converge({ ...ctx, convergeTimeoutMs: o.coldTimeoutMs }, "cold start", t0);
      });
      instances = (await fleet.reader.read().catch(() => undefined))?.size ?? total - cold.value.lost;
      record({ ...cold.value, changes: total, backendCpuS: cold.cpuS, note: `${instances} instances in the backend` });
    }

    // At full size: DNS and catalog under load.
    let dnsQps = NaN;
    let dnsP99Ms = NaN;
    let catalogP99Ms = NaN;
    if (o.loadSeconds > 0) {
      const queries = join(dir, "queries.txt");
      writeFileSync(queries, Array.from({ length: o.services }, (_, k) => `svc-${k}.service.consul A\n`).join(""));
      const w = fleet.watchers.find((x) => x.name === "app-dns")!;
      const perf = await dnsperf({ port: w.dnsPort, queries, seconds: o.loadSeconds, perQuery: true }).catch((err: unknown) => {
        o.log(`dnsperf failed (${(err as Error).message}): DNS load not measured`);
        return undefined;
      });
      if (perf) [dnsQps, dnsP99Ms] = [Math.round(perf.qps), Math.round(perf.p99Ms * 10) / 10];
      const up = fleet.watchers.find((x) => x.name === "app-up")!;
      // Measured once the catalog lists every service: right after a cold start of ZooKeeper's 10,000 entries, `up`
      // was still reading the tree (HTTP 404 for the services it had not read yet) when the load began.
      const readyMs = await catalogReady(up.catalogPort!, o.services, 60_000);
      o.log(`catalog of app-up: every service listed ${readyMs === undefined ? "not within 60 s" : `${readyMs} ms after the DNS load ended`}`);
      const catalog = await catalogP99(up.catalogPort!, o.services, o.loadSeconds);
      catalogP99Ms = Math.round(catalog.p99 * 10) / 10;
      const failures = catalog.failed ? ` (not answered: ${catalog.failed})` : "";
      o.log(`at ${instances} instances: DNS ${dnsQps} QPS, p99 ${dnsP99Ms} ms; catalog GET /v1/services/NAME p99 ${catalogP99Ms} ms${failures}`);
    }

    // Start-to-DNS on another host, and what each change costs the watchers.
    const probed = await withCpu(fleet, () => probe(ctx, o.probes));
    const pr = probed.value;
    o.log(`start-to-DNS p50 ${p(pr.latenciesMs, 50)} ms, p99 ${p(pr.latenciesMs, 99)} ms (${pr.missed} missed); per change and watcher: ${pr.requestsPerChange.toFixed(2)} requests (${pr.readsPerChange.toFixed(2)} reads), ${Math.round(pr.bytesPerChange)} bytes (${pr.perWatcher.map((w) => `${w.name} ${w.requests} req${w.endpoints ? `: ${w.endpoints}` : ""}`).join("; ")})`);
    record({ ...(await converge(ctx, "probes")), changes: pr.changes, backendCpuS: probed.cpuS, note: `start-to-DNS p50 ${p(pr.latenciesMs, 50)} ms p99 ${p(pr.latenciesMs, 99)} ms` });

    // Steady churn.
    {
      const churn = new Churn(fleet, o.churnPerSecond);
      const r = await withCpu(fleet, async () => {
        for (const w of fleet.watchers) w.take();
        churn.start();
        await pause(o.churnSeconds * 1000);
        const changes = await churn.stop();
        const c = await converge(ctx, "steady churn");
        const taken = fleet.watchers.map((w) => w.take());
        const per = (k: "requests" | "reads") => (taken.reduce((s, t) => s + t[k], 0) / taken.length / Math.max(1, changes)).toFixed(2);
        return { ...c, changes, note: `${o.churnPerSecond}/s for ${o.churnSeconds} s; per change and watcher ${per("requests")} requests, ${per("reads")} reads` };
      });
      record({ ...r.value, backendCpuS: r.cpuS });
    }

    // Blue/green: a replacement beside each of `blueGreen` instances; once all are in, the old ones go.
    {
      const r = await withCpu(fleet, async () => {
        const blue: Array<{ h: Host; id: string }> = [];
        for (let k = 0; k < o.blueGreen; k++) {
          const h = fleet.hosts[k % fleet.hosts.length]!;
          const c = h.engine.running().filter((x) => !blue.some((b) => b.id === x.id))[0];
          if (!c) continue;
          blue.push({ h, id: c.id });
          fleet.startContainer(h, c.service);
        }
        const green = await converge(ctx, "blue/green: green up");
        const t0 = Date.now();
        for (const b of blue) b.h.engine.remove(b.id);
        const c = await converge(ctx, "blue/green", t0);
        return { ...c, lost: c.lost + green.lost, dangling: c.dangling + green.dangling, changes: blue.length * 2, note: `${blue.length} swapped; green in ${green.convergeMs ?? "NOT"} ms, blue gone in ${c.convergeMs ?? "NOT"} ms` };
      });
      record({ ...r.value, backendCpuS: r.cpuS });
    }

    // Faults during churn.
    for (const name of o.faults) {
      const churn = new Churn(fleet, o.churnPerSecond);
      const r = await withCpu(fleet, async () => {
        churn.start();
        await pause(1000);
        const { note, extra } = await injectFault(fleet, name, o);
        await pause(1000);
        const changes = (await churn.stop()) + extra;
        const c = await converge(ctx, name);
        return { ...c, changes, note };
      }).finally(() => churn.stop());
      record({ ...r.value, backendCpuS: r.cpuS });
    }

    const sum = (k: "lost" | "dangling" | "health") => scenarios.reduce((s, x) => s + (Number.isNaN(x[k]) ? 1 : x[k]), 0);
    return {
      backend: o.backend,
      hosts: o.hosts,
      containersPerHost: o.containers,
      instances,
      agents: fleet.agents,
      hostsPerAgent: fleet.consul ? o.hostsPerAgent : 0,
      lost: sum("lost"),
      dangling: sum("dangling"),
      wrongHealth: sum("health"),
      changeToDnsP50Ms: p(pr.latenciesMs, 50),
      changeToDnsP99Ms: p(pr.latenciesMs, 99),
      probesMissed: pr.missed,
      probeChanges: pr.changes,
      readsPerChange: Math.round(pr.readsPerChange * 100) / 100,
      requestsPerChange: Math.round(pr.requestsPerChange * 100) / 100,
      bytesPerChange: Math.round(pr.bytesPerChange),
      perWatcher: pr.perWatcher,
      registratorRssMaxMiB: Math.round(rss.max),
      registratorRssAvgMiB: Math.round(rss.sum / Math.max(1, rss.n)),
      dnsQps,
      dnsP99Ms,
      catalogP99Ms,
      scenarios,
    };
  } finally {
    clearInterval(sampler);
    await fleet.close();
    if (o.keepDir) o.log(`logs kept in ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }
}

/** dnsperf on PATH? */
export function hasDnsperf(): Promise<boolean> {
  return new Promise((resolve) => execFile("dnsperf", ["-h"], (err) => resolve(!err || (err as NodeJS.ErrnoException).code !== "ENOENT")));
}
