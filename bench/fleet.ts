// A fleet on this machine: simulated Docker hosts, each with a real `bin/portolan registrator`, against a clustered
// backend (3 Consul servers + client agents, or a 3-member ZooKeeper ensemble), two app hosts reading it (`up`,
// `dns`), and the scenarios of bench/fleet/run.ts (cold start, probes, churn, blue/green, faults during churn).
// Prints one table row per scenario, the watchers' cost per change, and as its last line one JSON object.
//
//   npm run bench:fleet -- --hosts 50 --containers 200 --backend consul|zookeeper
//       [--services 20] [--hosts-per-agent N] [--cut 60s] [--churn-rate 10] [--churn-seconds 30] [--probes 40]
//       [--blue-green 450] [--faults a,b,…] [--converge-timeout 180s] [--cold-timeout 600s]
//       [--zk-session-timeout 15s] [--load-seconds 10] [--ports 30000-30999] [--keep]
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseDuration } from "../src/core/util.js";
import { ProcSet } from "./fleet/procs.js";
import { CONSUL_FAULTS, runFleet, ZOOKEEPER_FAULTS, type FleetResult } from "./fleet/run.js";
import { benchArgs } from "./args.js";

function fail(message: string): never {
  process.stderr.write(`bench:fleet: ${message}\n`);
  process.exit(64);
}

const a = benchArgs("fleet", {
  hosts: { type: "string", default: "5" },
  containers: { type: "string", default: "40" },
  backend: { type: "string", default: "consul" },
  services: { type: "string", default: "20" },
  "hosts-per-agent": { type: "string" },
  cut: { type: "string", default: "60s" },
  "churn-rate": { type: "string" },
  "churn-seconds": { type: "string", default: "20" },
  probes: { type: "string", default: "40" },
  "blue-green": { type: "string" },
  faults: { type: "string" },
  "converge-timeout": { type: "string", default: "180s" },
  "cold-timeout": { type: "string", default: "600s" },
  "zk-session-timeout": { type: "string", default: "15s" },
  "load-seconds": { type: "string", default: "10" },
  ports: { type: "string", default: "30000-30999" },
  keep: { type: "boolean", default: false },
});

const int = (flag: string, text: string, min: number) => {
  const n = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(n) || n < min) fail(`--${flag}: expected an integer of at least ${min}, got ${JSON.stringify(text)}`);
  return n;
};
const ms = (flag: string, text: string) => {
  const v = parseDuration(text);
  if (v === undefined || v <= 0) fail(`--${flag}: not a duration like 60s: ${JSON.stringify(text)}`);
  return v;
};
if (a.backend !== "consul" && a.backend !== "zookeeper") fail(`--backend: consul or zookeeper, got ${JSON.stringify(a.backend)}`);
const backend = a.backend;
const hosts = int("hosts", a.hosts!, 1);
const containers = int("containers", a.containers!, 1);
const known: readonly string[] = backend === "consul" ? CONSUL_FAULTS : ZOOKEEPER_FAULTS;
const faults = a.faults === undefined ? known : a.faults.split(",").filter(Boolean);
for (const f of faults) if (!known.includes(f)) fail(`--faults: ${JSON.stringify(f)} is not one of ${known.join(", ")}`);
const range = /^(\d+)-(\d+)$/.exec(a.ports!);
if (!range || Number(range[1]) > Number(range[2])) fail(`--ports: FIRST-LAST, got ${JSON.stringify(a.ports)}`);

const procs = new ProcSet();
const dir = mkdtempSync(join(tmpdir(), "portolan-fleet-"));
const log = (line: string) => process.stderr.write(`[fleet ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
for (const sig of ["SIGINT", "SIGTERM"] as const) {
  process.once(sig, () => {
    log(`${sig}: stopping everything`);
    procs.killAllNow();
    if (!a.keep) rmSync(dir, { recursive: true, force: true });
    process.exit(130);
  });
}

const result: FleetResult = await runFleet({
  backend,
  hosts,
  containers,
  services: int("services", a.services!, 1),
  hostsPerAgent: a["hosts-per-agent"] ? int("hosts-per-agent", a["hosts-per-agent"], 1) : 1,
  cutMs: ms("cut", a.cut!),
  churnPerSecond: a["churn-rate"] ? int("churn-rate", a["churn-rate"], 1) : Math.max(2, Math.round(hosts / 5)),
  churnSeconds: int("churn-seconds", a["churn-seconds"]!, 1),
  probes: int("probes", a.probes!, 1),
  blueGreen: a["blue-green"] ? int("blue-green", a["blue-green"], 1) : Math.min(450, Math.floor((hosts * containers) / 4)),
  faults,
  convergeTimeoutMs: ms("converge-timeout", a["converge-timeout"]!),
  coldTimeoutMs: ms("cold-timeout", a["cold-timeout"]!),
  zkSessionTimeoutMs: ms("zk-session-timeout", a["zk-session-timeout"]!),
  loadSeconds: int("load-seconds", a["load-seconds"]!, 0),
  cli: new URL("../../bin/portolan", import.meta.url).pathname,
  ports: { first: Number(range[1]), last: Number(range[2]) },
  procs,
  dir,
  keepDir: a.keep,
  log,
}).catch((err: unknown) => {
  log(`failed: ${(err as Error).stack ?? String(err)}`);
  process.exit(1);
});

const r = result;
const agents = r.backend === "consul" ? `, ${r.agents} client agents (${r.hostsPerAgent} host(s) each)` : "";
console.log(`${r.backend}: ${r.hosts} hosts x ${r.containersPerHost} containers = ${r.instances} instances after cold start${agents}`);
console.log("| scenario | changes | lost | dangling | wrong health | converged in | backend CPU | notes |");
console.log("|---|---|---|---|---|---|---|---|");
for (const s of r.scenarios) {
  console.log(`| ${s.name} | ${s.changes} | ${s.lost} | ${s.dangling} | ${s.health} | ${s.convergeMs === undefined ? "not within bound" : `${(s.convergeMs / 1000).toFixed(1)} s`} | ${s.backendCpuS.toFixed(1)} s | ${s.note} |`);
}
console.log("");
console.log("| figure | value |");
console.log("|---|---|");
console.log(`| start to DNS answer on another host, p50 / p99 | ${r.changeToDnsP50Ms} / ${r.changeToDnsP99Ms} ms (${r.probesMissed} missed) |`);
console.log(`| backend reads (requests) per change per watching process | ${r.readsPerChange} (${r.requestsPerChange}); ${r.perWatcher.map((w) => `${w.name}: ${w.reads} (${w.requests})`).join(", ")} over ${r.probeChanges} changes |`);
console.log(`| backend bytes per change per watching process | ${r.bytesPerChange} |`);
console.log(`| registrator RSS max / avg | ${r.registratorRssMaxMiB} / ${r.registratorRssAvgMiB} MiB |`);
console.log(`| DNS at full size (dnsperf) | ${r.dnsQps} QPS, p99 ${r.dnsP99Ms} ms |`);
console.log(`| catalog GET /v1/services/NAME at full size, p99 | ${r.catalogP99Ms} ms |`);
const { scenarios, perWatcher: _, ...summary } = r;
console.log(JSON.stringify({ ...summary, scenarios: scenarios.map((s) => ({ name: s.name, lost: s.lost, dangling: s.dangling, health: s.health, convergeMs: s.convergeMs ?? null, backendCpuS: Math.round(s.backendCpuS * 10) / 10 })) }));
