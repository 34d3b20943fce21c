// Phase `rss` of bench/registrator.ts: the memory a registrator holds with N running containers (default 40),
// `bin/portolan registrator` beside gliderlabs/registrator, both against the same private Consul agent, and
// beside `node` doing nothing (Node's own floor). Each runs alone, in alternating rounds; per round, each one's
// VmRSS once it has registered every container and idled 2 s, and its peak (VmHWM). Figures are medians.
import type { ChildProcess } from "node:child_process";
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { hostname } from "node:os";
import type Dockerode from "dockerode";
import { delay, mapBounded } from "../src/core/util.js";
import { percentile, startGliderlabs, stop } from "./gliderlabs.js";
import { privateAgent, testBedConsul } from "./private-consul.js";

export interface RssContext {
  n: number;
  rounds: number;
  /** gliderlabs/registrator's binary, or undefined (then only portolan and node are measured). */
  gliderlabs: string | undefined;
  create(name: string): Promise<Dockerode.Container>;
  removeAll(): Promise<void>;
  startPortolan(uri: string, owner: string): { proc: ChildProcess; resyncMs: Promise<number> };
  owner: string;
}

/** Goal of issue 12 for `portolan registrator` with 40 running containers. */
const TARGET_MIB = 48;
const SETTLE_MS = 2_000;

function memMiB(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? NaN);
  return { rss: kb("VmRSS") / 1024, peak: kb("VmHWM") / 1024 };
}

export async function compareRss(ctx: RssContext): Promise<void> {
  const agent = await privateAgent(testBedConsul());
  const base = `http://${agent.host}:${agent.port}/v1`;
  const addr = `${agent.host}:${agent.port}`;
  const names = Array.from({ length: ctx.n }, (_, k) => `${ctx.owner}-rss-${k}`);
  const registered = async (id: (c: string) => string): Promise<number> => {
    const ids = new Set(Object.keys((await (await fetch(`${base}/agent/services`)).json()) as object));
    return names.filter((n) => ids.has(id(n))).length;
  };
  const untilAll = async (id: (c: string) => string) => {
    for (const t0 = Date.now(); Date.now() - t0 < 60_000; await delay(100)) if ((await registered(id)) === ctx.n) return;
    throw new Error(`rss phase: not all ${ctx.n} containers registered within 60 s`);
  };
  const glHost = hostname();
  const tools: Array<{ name: string; run: () => Promise<ChildProcess> }> = [
    {
      name: "portolan registrator",
      run: async () => {
        const r = ctx.startPortolan(`consul://${addr}`, ctx.owner);
        await r.resyncMs;
        await untilAll((c) => `${ctx.owner}:${c}:80`);
        return r.proc;
      },
    },
    ...(ctx.gliderlabs === undefined
      ? []
      : [
          {
            name: "gliderlabs/registrator",
            run: async () => {
              const proc = await startGliderlabs(ctx.gliderlabs!, addr);
              await untilAll((c) => `${glHost}:${c}:80`);
              return proc;
            },
          },
        ]),
    { name: "node, idle (setInterval)", run: async () => spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)"], { stdio: "ignore" }) },
  ];
  const got = new Map<string, { rss: number[]; peak: number[] }>(tools.map((t) => [t.name, { rss: [], peak: [] }]));
  try {
    const created = await Promise.all(names.map((n) => ctx.create(n)));
    await mapBounded(created, 16, (c) => c.start());
    for (let round = 1; round <= ctx.rounds; round++) {
      for (const tool of tools) {
        console.error(`bench: rss, round ${round} of ${ctx.rounds}, ${tool.name}`);
        // Started again if something stopped one meanwhile (a shared dockerd); a running one answers 304.
        await mapBounded(created, 16, (c) => c.start().catch(() => {}));
        const proc = await tool.run();
        await delay(SETTLE_MS);
        const m = memMiB(proc.pid!);
        got.get(tool.name)!.rss.push(m.rss);
        got.get(tool.name)!.peak.push(m.peak);
        console.error(`bench: rss, ${tool.name}: ${m.rss.toFixed(1)} MiB (peak ${m.peak.toFixed(1)})`);
        await stop(proc);
        // Both leave their entries (neither deregisters on exit): drop them so the next one registers all.
        const left = Object.keys((await (await fetch(`${base}/agent/services`)).json()) as object);
        for (const id of left) await fetch(`${base}/agent/service/deregister/${encodeURIComponent(id)}`, { method: "PUT" });
      }
    }
  } finally {
    await ctx.removeAll();
    agent.stop();
  }
  const med = (xs: number[]) => percentile(xs, 50);
  const nodeRss = med(got.get(tools.at(-1)!.name)!.rss);
  console.log(`\n-- RSS with ${ctx.n} running containers, same private Consul agent, each alone, ${ctx.rounds} alternating rounds (medians; registered all, then ${SETTLE_MS / 1000} s idle)`);
  for (const t of tools) {
    const g = got.get(t.name)!;
    console.log(`${t.name.padEnd(26)} RSS ${med(g.rss).toFixed(1)} MiB, peak ${med(g.peak).toFixed(1)} MiB   (${(med(g.rss) / nodeRss).toFixed(2)}x node)`);
  }
  console.log(`target: portolan registrator <= ${TARGET_MIB} MiB RSS`);
  console.log(JSON.stringify({ rss: { n: ctx.n, rounds: ctx.rounds, ...Object.fromEntries([...got].map(([k, v]) => [k, { rss: med(v.rss), peak: med(v.peak) }])) } }));
}
