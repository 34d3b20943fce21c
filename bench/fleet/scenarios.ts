// The fleet's scenarios and what each measures. Each scenario acts on the simulated engines (and the backend, for
// faults), then waits until the backend holds exactly the fleet's running containers (convergence) or the bound
// passes; lost / dangling / wrong-health entries are counted at that point against the engines' state.
import { Resolver } from "node:dns/promises";
import type { Fleet, Host, WatcherCounts } from "./fleet.js";
import { pause, percentile } from "./procs.js";

export interface ScenarioResult {
  name: string;
  /** Containers started, stopped or changed in health by the scenario. */
  changes: number;
  lost: number;
  dangling: number;
  health: number;
  /** From the end of the scenario's actions until the backend matched; undefined when it did not within the bound. */
  convergeMs: number | undefined;
  /** CPU seconds of the Consul servers / ZooKeeper members during the scenario. */
  backendCpuS: number;
  note: string;
}

export interface ScenarioContext {
  fleet: Fleet;
  convergeTimeoutMs: number;
  log: (line: string) => void;
}

/** Past this, a scenario that has not converged says what is still off (once). */
const SLOW_MS = 5000;

/** Waits for the backend to match the engines; counts what is off at the end. */
export async function converge(ctx: ScenarioContext, name: string, t0 = Date.now()): Promise<Omit<ScenarioResult, "changes" | "backendCpuS" | "note">> {
  let told = false;
  for (;;) {
    const read = Date.now();
    const d = await ctx.fleet.compare().catch((err: unknown) => {
      ctx.log(`${name}: backend read failed: ${(err as Error).message}`);
      return undefined;
    });
    const elapsed = Date.now() - t0;
    if (d && d.lost + d.dangling + d.health === 0) return { name, lost: 0, dangling: 0, health: 0, convergeMs: elapsed };
    if (d && !told && elapsed >= SLOW_MS) {
      told = true;
      ctx.log(`${name}: still ${d.lost} lost, ${d.dangling} dangling, ${d.health} wrong health after ${elapsed} ms (${d.examples.join("; ")})`);
    }
    if (elapsed >= ctx.convergeTimeoutMs) {
      if (d) ctx.log(`${name}: not converged after ${elapsed} ms: ${d.lost} lost, ${d.dangling} dangling, ${d.health} wrong health (${d.examples.join("; ")})`);
      return { name, lost: d?.lost ?? NaN, dangling: d?.dangling ?? NaN, health: d?.health ?? NaN, convergeMs: undefined };
    }
    // At 10,000 instances a read is megabytes: the bench's own reads must not be what loads the backend.
    await pause(Math.max(500, 2 * (Date.now() - read)));
  }
}

/** Background churn at `perSecond` changes a second across the fleet: replace a container, or flip a health. */
export class Churn {
  changes = 0;
  private running = false;
  private loop: Promise<void> | undefined;

  constructor(
    private readonly fleet: Fleet,
    private readonly perSecond: number,
    /** Hosts whose containers it may touch (all by default). */
    private readonly hosts: Host[] = fleet.hosts,
  ) {}

  start(): void {
    this.running = true;
    this.loop = (async () => {
      const every = 1000 / this.perSecond;
      let next = Date.now();
      while (this.running) {
        this.step();
        next += every;
        await pause(Math.max(0, next - Date.now()));
      }
    })();
  }

  async stop(): Promise<number> {
    this.running = false;
    await this.loop;
    return this.changes;
  }

  step(): void {
    const f = this.fleet;
    const h = this.hosts[f.random(this.hosts.length)]!;
    const running = h.engine.running().filter((c) => !c.service.startsWith("fleet-"));
    const c = running[f.random(Math.max(1, running.length))];
    if (c?.health && f.random(10) < 4) {
      h.engine.setHealth(c.id, c.health === "healthy" ? "unhealthy" : "healthy");
      this.changes++;
      return;
    }
    if (c) h.engine.remove(c.id);
    f.startContainer(h, c?.service);
    this.changes += c ? 2 : 1;
  }
}

/** The CPU the backend servers used while `fn` ran. */
export async function withCpu<T>(fleet: Fleet, fn: () => Promise<T>): Promise<{ value: T; cpuS: number }> {
  const before = fleet.backendCpuSeconds();
  const value = await fn();
  return { value, cpuS: fleet.backendCpuSeconds() - before };
}

export interface ProbeResult {
  latenciesMs: number[];
  /** Requests, reads and bytes each watching process sent per change (average over the watchers). */
  requestsPerChange: number;
  readsPerChange: number;
  bytesPerChange: number;
  perWatcher: Array<{ name: string } & WatcherCounts>;
  changes: number;
  missed: number;
}

/** SRV answers of `name` from a watcher's DNS shim (empty on NXDOMAIN or a timeout). */
async function srvPorts(resolver: Resolver, name: string): Promise<number[]> {
  try {
    return (await resolver.resolveSrv(name)).map((r) => r.port);
  } catch {
    return [];
  }
}

/**
 * Start-to-DNS: one container of the service "fleet-probe" at a time is started on a fleet host, and the `dns`
 * watcher (another host) is asked for its SRV every 5 ms until the container's port is in the answer; then it is
 * removed and awaited gone. Meanwhile the watchers' backend requests are counted: two changes per probe.
 */
export async function probe(ctx: ScenarioContext, count: number, timeoutMs = 15_000): Promise<ProbeResult> {
  const f = ctx.fleet;
  const dnsWatcher = f.watchers.find((w) => w.name === "app-dns") ?? f.watchers[0]!;
  const resolver = new Resolver({ timeout: 500, tries: 1 });
  resolver.setServers([`127.0.0.1:${dnsWatcher.dnsPort}`]);
  const latenciesMs: number[] = [];
  let missed = 0;
  await pause(1000);
  for (const w of f.watchers) w.take();
  for (let p = 0; p < count; p++) {
    const h = f.hosts[p % f.hosts.length]!;
    const c = h.engine.start(`probe-${p}`, "fleet-probe", 45_000 + p);
    const t0 = performance.now();
    let seen = false;
    while (performance.now() - t0 < timeoutMs) {
      if ((await srvPorts(resolver, "fleet-probe.service.consul")).includes(c.hostPort)) {
        seen = true;
        break;
      }
      await pause(5);
    }
    if (seen) latenciesMs.push(performance.now() - t0);
    else missed++;
    h.engine.remove(c.id);
    const t1 = performance.now();
    while (performance.now() - t1 < timeoutMs && (await srvPorts(resolver, "fleet-probe.service.consul")).includes(c.hostPort)) await pause(20);
    await pause(200);
  }
  await pause(1000);
  const perWatcher = f.watchers.map((w) => ({ name: w.name, ...w.take() }));
  const changes = count * 2;
  const requests = perWatcher.reduce((s, w) => s + w.requests, 0);
  const bytes = perWatcher.reduce((s, w) => s + w.bytes, 0);
  const reads = perWatcher.reduce((s, w) => s + w.reads, 0);
  return { latenciesMs, requestsPerChange: requests / changes / perWatcher.length, readsPerChange: reads / changes / perWatcher.length, bytesPerChange: bytes / changes / perWatcher.length, perWatcher, changes, missed };
}

export function p(values: number[], q: number): number {
  return Math.round(percentile(values, q) * 10) / 10;
}
