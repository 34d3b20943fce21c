// gliderlabs/registrator beside `portolan registrator` against the same Consul agent, for bench/registrator.ts.
// Each runs alone in alternating blocks (the other stopped), so neither takes CPU or the agent from the other:
//   - latency: container start (dockerd's event) -> the service visible in the agent (GET /v1/agent/service/<id>,
//     polled from the start), p50/p99 for each and portolan's ratio;
//   - requests: what each write takes, counted by a proxy (bench/counting-proxy.ts) in front of the agent;
//   - storm: N containers started at once and removed at once: lost and dangling entries.
// gliderlabs/registrator is built from its public source with `go build` (its module is not served by the Go module
// proxy); the bench takes --gliderlabs PATH or the newest registrator-gliderlabs-* in ~/.cache/portolan.
import { spawn, type ChildProcess } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import http from "node:http";
import { hostname } from "node:os";
import { join } from "node:path";
import type Dockerode from "dockerode";
import { delay, mapBounded } from "../src/core/util.js";
import { CountingProxy, topEndpoints } from "./counting-proxy.js";
import { cacheDir, privateAgent, testBedConsul } from "./private-consul.js";

export interface CompareContext {
  bin: string;
  n: number;
  /** Container name -> dockerd's start event time (ms), filled by the caller's event stream. */
  startAt: Map<string, number>;
  create(name: string): Promise<Dockerode.Container>;
  removeAll(): Promise<void>;
  /** `portolan registrator` for `owner` against `uri`; `resyncMs` resolves once it reconciled (ready). */
  startPortolan(uri: string, owner: string): { proc: ChildProcess; resyncMs: Promise<number> };
  owner: string;
}

interface Tool {
  name: "portolan" | "gliderlabs";
  /** Its service ID for a container (both: <host>:<container>:<port>). */
  id(container: string): string;
  /** Starts it against host:port; resolves when it listens for Docker events. */
  start(addr: string): Promise<ChildProcess>;
}

/** The gliderlabs/registrator binary to run, or undefined (with the reason printed by the caller). */
export function findGliderlabs(given: string | undefined): string | undefined {
  if (given) return given;
  try {
    const found = readdirSync(cacheDir()).filter((f) => /^registrator-gliderlabs-[\w.-]+$/.test(f) && !f.includes(".tmp")).sort().pop();
    return found && join(cacheDir(), found);
  } catch {
    return undefined;
  }
}

export function percentile(xs: readonly number[], p: number): number {
  return [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))] ?? NaN;
}

/** "1.23" (portolan / gliderlabs); "n/a" when either is not a number. */
export function ratio(portolan: number, reference: number): string {
  return Number.isFinite(portolan) && Number.isFinite(reference) && reference > 0 ? (portolan / reference).toFixed(2) : "n/a";
}

/** CPU time (user + system, ms) a process has used so far, from /proc/<pid>/stat. */
export function cpuMs(pid: number): number {
  return cpuMsOfStat(readFileSync(`/proc/${pid}/stat`, "utf8"));
}

/** utime + stime (ms) of a /proc/<pid>/stat line; its command name, in parentheses, may hold spaces and ")". */
export function cpuMsOfStat(stat: string): number {
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // Fields 14 and 15 of stat (utime, stime) are the 12th and 13th after the command name.
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
}
/** USER_HZ: 100 on every Linux this runs on. */
const CLOCK_TICKS = 100;

/** gliderlabs/registrator `bin` against the Consul agent at host:port; resolves once it listens for Docker events. */
export async function startGliderlabs(bin: string, addr: string): Promise<ChildProcess> {
  // Its Docker client's default socket is /tmp/docker.sock (where its image mounts it).
  const env = { ...process.env, GL_DISABLE_VERSION_CHECK: "1", DOCKER_HOST: process.env.DOCKER_HOST ?? "unix:///var/run/docker.sock" };
  const proc = spawn(bin, [`consul://${addr}`], { env, stdio: ["ignore", "ignore", "pipe"] });
  let log = "";
  await new Promise<void>((resolve, reject) => {
    proc.stderr!.setEncoding("utf8").on("data", (d: string) => {
      log += d;
      if (log.includes("Listening for Docker events")) resolve();
    });
    proc.once("exit", (code) => reject(new Error(`gliderlabs/registrator exited (${code}) before listening: ${log.trim().slice(-500)}`)));
  });
  await delay(300); // its first sync of running containers
  return proc;
}

export async function stop(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  const exited = new Promise((r) => proc.once("exit", r));
  proc.kill("SIGTERM");
  await exited;
}

/**
 * Runs the comparison against a private Consul dev agent (the test bed's binary): both registrators register every
 * container of the shared dockerd that they would, and those entries stay out of the test bed's agent.
 */
export async function compareWithGliderlabs(ctx: CompareContext): Promise<void> {
  const agent = await privateAgent(testBedConsul());
  try {
    await compare(ctx, agent);
  } finally {
    agent.stop();
  }
}

async function compare(ctx: CompareContext, agent: { host: string; port: number }): Promise<void> {
  const base = `http://${agent.host}:${agent.port}/v1`;
  const glHost = hostname();
  const tools: Tool[] = [
    {
      name: "portolan",
      id: (c) => `${ctx.owner}:${c}:80`,
      start: async (addr) => {
        const r = ctx.startPortolan(`consul://${addr}`, ctx.owner);
        await r.resyncMs;
        return r.proc;
      },
    },
    {
      name: "gliderlabs",
      id: (c) => `${glHost}:${c}:80`,
      start: (addr) => startGliderlabs(ctx.bin, addr),
    },
  ];

  // A plain keep-alive GET: the poller should take as little CPU from the registrators as it can.
  const keepAlive = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const visible = (id: string) =>
    new Promise<boolean>((resolve, reject) => {
      http
        .get({ host: agent.host, port: agent.port, path: `/v1/agent/service/${encodeURIComponent(id)}`, agent: keepAlive }, (res) => {
          res.resume().on("end", () => resolve(res.statusCode === 200));
        })
        .on("error", reject);
    });
  const agentIds = async (): Promise<Set<string>> => new Set(Object.keys((await (await fetch(`${base}/agent/services`)).json()) as object));
  /** When `id` first answers in the agent (polled every ~1 ms), or NaN after 30 s. */
  const visibleAt = async (id: string): Promise<number> => {
    for (const t0 = Date.now(); Date.now() - t0 < 30_000; await delay(1)) if (await visible(id)) return Date.now();
    return NaN;
  };
  const untilAgent = async (cond: (ids: Set<string>) => boolean, ms: number) => {
    for (const t0 = Date.now(); Date.now() - t0 < ms; await delay(50)) if (cond(await agentIds())) return;
  };
  const dropLeftovers = async (ids: string[]) => {
    for (const id of ids) await fetch(`${base}/agent/service/deregister/${encodeURIComponent(id)}`, { method: "PUT" });
  };
  const direct = `${agent.host}:${agent.port}`;

  /** Starts `cname` and waits until the tool's entry answers; the time it did. */
  const startVisible = async (tool: Tool, cname: string): Promise<number> => {
    const c = await ctx.create(cname);
    const seen = visibleAt(tool.id(cname));
    await c.start();
    return seen;
  };

  // 1. Latency: alternating blocks, each tool alone while it runs, after 2 unmeasured starts (a registrator runs for
  // long: its first event after start-up, Node's code still cold, is not what a container start costs).
  const lat: Record<Tool["name"], number[]> = { portolan: [], gliderlabs: [] };
  const cpu: Record<Tool["name"], number> = { portolan: 0, gliderlabs: 0 };
  const block = Math.max(10, Math.ceil(ctx.n / 4));
  let serial = 0;
  for (let done = 0; done < ctx.n; done += block) {
    for (const tool of tools) {
      console.error(`bench: gliderlabs comparison, latency block ${done / block + 1} of ${Math.ceil(ctx.n / block)}, ${tool.name}`);
      const proc = await tool.start(direct);
      const names: string[] = [];
      for (let k = 0; k < 2; k++) {
        const cname = `${ctx.owner}-glw-${tool.name}-${serial++}`;
        names.push(cname);
        await startVisible(tool, cname);
      }
      const cpu0 = cpuMs(proc.pid!);
      for (let k = 0; k < Math.min(block, ctx.n - done); k++) {
        const cname = `${ctx.owner}-gl-${tool.name}-${serial++}`;
        names.push(cname);
        const at = await startVisible(tool, cname);
        for (let w = 0; w < 200 && !ctx.startAt.has(cname); w++) await delay(10);
        lat[tool.name].push(at - (ctx.startAt.get(cname) ?? NaN));
      }
      cpu[tool.name] += cpuMs(proc.pid!) - cpu0;
      await ctx.removeAll();
      await untilAgent((ids) => !names.some((n) => ids.has(tool.id(n))), 30_000);
      await stop(proc);
      const left = [...(await agentIds())].filter((id) => names.some((n) => id === tool.id(n)));
      await dropLeftovers(left);
    }
  }

  // Printed now: a run cut short later (dockerd restarted under it) still has them.
  const [p, g] = [lat.portolan, lat.gliderlabs];
  const ms = (x: number) => `${x.toFixed(1)} ms`;
  console.log(`\n-- beside gliderlabs/registrator (${ctx.bin}), same private agent, alternating blocks of ${block} (after 2 unmeasured starts), each alone`);
  console.log(`start event -> visible in the agent, ${p.length} each: portolan p50 ${ms(percentile(p, 50))} p99 ${ms(percentile(p, 99))}; gliderlabs p50 ${ms(percentile(g, 50))} p99 ${ms(percentile(g, 99))}; ratio p50 ${ratio(percentile(p, 50), percentile(g, 50))}x p99 ${ratio(percentile(p, 99), percentile(g, 99))}x   (target <= 1.0x)`);
  console.log(`CPU per container start (user + system, while the latency blocks ran): portolan ${(cpu.portolan / p.length).toFixed(1)} ms; gliderlabs ${(cpu.gliderlabs / g.length).toFixed(1)} ms`);

  // 2. What one write takes: 10 containers per tool through a counting proxy, started one by one, then removed.
  const asked: Record<Tool["name"], { start: string; startRequests: number; remove: string; removeRequests: number }> = {} as never;
  for (const tool of tools) {
    console.error(`bench: gliderlabs comparison, requests per write, ${tool.name}`);
    const proxy = new CountingProxy(agent);
    const proc = await tool.start(await proxy.start());
    // What it does once after its start is not a container's (portolan refreshes the health of every entry it found,
    // other containers of the shared engine included, at its first heartbeat tick, 500 ms in).
    await delay(1_000);
    proxy.take();
    const names = Array.from({ length: 10 }, () => `${ctx.owner}-glp-${tool.name}-${serial++}`);
    for (const cname of names) await startVisible(tool, cname);
    await delay(500);
    const up = proxy.take();
    await ctx.removeAll();
    await untilAgent((ids) => !names.some((n) => ids.has(tool.id(n))), 30_000);
    await delay(500);
    const down = proxy.take();
    await stop(proc);
    await proxy.stop();
    asked[tool.name] = { start: topEndpoints(up, 5), startRequests: up.total.requests / names.length, remove: topEndpoints(down, 5), removeRequests: down.total.requests / names.length };
  }

  // 3. Storm: N started at once, then removed at once, each tool alone.
  const storm: Record<Tool["name"], { lost: number; dangling: number }> = {} as never;
  for (const tool of tools) {
    console.error(`bench: gliderlabs comparison, storm, ${tool.name}`);
    const proc = await tool.start(direct);
    const names = Array.from({ length: ctx.n }, () => `${ctx.owner}-gls-${tool.name}-${serial++}`);
    const created = await Promise.all(names.map((n) => ctx.create(n)));
    await mapBounded(created, 32, (c) => c.start());
    await untilAgent((ids) => names.every((n) => ids.has(tool.id(n))), 30_000);
    const afterUp = await agentIds();
    const lost = names.filter((n) => !afterUp.has(tool.id(n))).length;
    await ctx.removeAll();
    await untilAgent((ids) => !names.some((n) => ids.has(tool.id(n))), 30_000);
    const afterDown = await agentIds();
    const dangling = names.filter((n) => afterDown.has(tool.id(n)));
    storm[tool.name] = { lost, dangling: dangling.length };
    await stop(proc);
    await dropLeftovers(dangling.map((n) => tool.id(n)));
  }

  keepAlive.destroy();
  for (const t of tools) {
    const a = asked[t.name];
    console.log(`${t.name} requests per container: start ${a.startRequests.toFixed(1)} (${a.start}); removal ${a.removeRequests.toFixed(1)} (${a.remove})`);
  }
  console.log(`storm of ${ctx.n}: portolan lost ${storm.portolan.lost}, dangling ${storm.portolan.dangling}; gliderlabs lost ${storm.gliderlabs.lost}, dangling ${storm.gliderlabs.dangling}`);
  console.log(
    JSON.stringify({
      gliderlabs: {
        n: p.length,
        portolan: { p50: percentile(p, 50), p99: percentile(p, 99), ...storm.portolan, requestsPerStart: asked.portolan.startRequests, cpuMsPerStart: cpu.portolan / p.length },
        reference: { p50: percentile(g, 50), p99: percentile(g, 99), ...storm.gliderlabs, requestsPerStart: asked.gliderlabs.startRequests, cpuMsPerStart: cpu.gliderlabs / g.length },
      },
    }),
  );
}
