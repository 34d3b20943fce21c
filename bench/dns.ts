// DNS benchmark on the real test bed: `npm run bench:dns [-- --seconds 5 --rounds 3 --workers 1,2 --phases compare,scale]`.
// 1. The same records (one service, 3 instances: A and SRV) in Consul, served by the shim (`bin/portolan dns`
//    fed by that Consul), by Consul's own DNS (127.0.0.1:18600) and by dnsmasq (host-record / srv-host
//    entries): dnsperf's QPS at full load, then average and p99 latency at half of that rate; ratios.
// 2. 10,000 instances over 1,000 services (embedded registry, shim in this process): QPS against the same
//    shim with the small catalog, memory, and the time from a registry change to the new answer.
import { spawn, type ChildProcess } from "node:child_process";
import { writeFileSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createMemoryRegistry } from "../adapters/memory/index.js";
import { startDns } from "../src/dns/service.js";
import { silentLogger } from "../src/core/log.js";
import type { Instance } from "../src/core/model.js";
import { delay } from "../src/core/util.js";
import { dnsOptions } from "../src/dns/options.js";
import { benchQuery, dnsperf, waitForAnswer, type PerfResult } from "./dns-perf.js";
import { benchArgs } from "./args.js";

const args = benchArgs("dns", { seconds: { type: "string", default: "5" }, rounds: { type: "string", default: "3" }, workers: { type: "string", default: "1,2" }, phases: { type: "string", default: "compare,scale" } });
const SECONDS = Number(args.seconds);
const ROUNDS = Number(args.rounds);
const PHASES = new Set(args.phases!.split(","));
const CONSUL_HTTP = "http://127.0.0.1:18500";
const PORTS = { consul: 18600, shim: 18670, dnsmasq: 18671, inproc: 18672 };
const BIN = new URL("../../bin/portolan", import.meta.url).pathname;
const SERVICE = "bench-web";
const ADDRS = ["10.60.0.1", "10.60.0.2", "10.60.0.3"];
const hex = (ip: string) => ip.split(".").map((b) => Number(b).toString(16).padStart(2, "0")).join("");
const dir = mkdtempSync(join(tmpdir(), "portolan-bench-dns-"));
const children: ChildProcess[] = [];

async function consul(method: string, path: string, body?: unknown): Promise<void> {
  const res = await fetch(`${CONSUL_HTTP}${path}`, { method, body: body === undefined ? undefined : JSON.stringify(body) });
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
}

function start(cmd: string, argv: string[]): ChildProcess {
  const child = spawn(cmd, argv, { stdio: ["ignore", "ignore", "inherit"] });
  children.push(child);
  return child;
}

function stop(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once("exit", () => resolve());
    child.kill("SIGTERM");
  });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function compare(): Promise<void> {
  const queries = join(dir, "queries.txt");
  writeFileSync(queries, `${SERVICE}.service.consul A\n_${SERVICE}._tcp.service.consul SRV\n`);
  for (const [i, a] of ADDRS.entries()) await consul("PUT", "/v1/agent/service/register", { ID: `portolan-bench-${i}`, Name: SERVICE, Address: a, Port: 3000 + i });
  const hosts = ADDRS.flatMap((a, i) => [`--host-record=${SERVICE}.service.consul,${a}`, `--host-record=${hex(a)}.addr.dc1.consul,${a}`, `--srv-host=_${SERVICE}._tcp.service.consul,${hex(a)}.addr.dc1.consul,${3000 + i},1,1`]);
  start("dnsmasq", ["--keep-in-foreground", "--conf-file=/dev/null", "--no-resolv", "--no-hosts", "--bind-interfaces", "--listen-address=127.0.0.1", `--port=${PORTS.dnsmasq}`, "--pid-file=", "--user=root", "--local=/consul/", "--cache-size=10000", ...hosts]);
  const targets: Record<string, number> = { consul: PORTS.consul, dnsmasq: PORTS.dnsmasq };
  for (const [k, w] of args.workers!.split(",").entries()) {
    const port = PORTS.shim + k * 10;
    start(BIN, ["dns", "--registry", "consul://127.0.0.1:18500", "--listen", `127.0.0.1:${port}`, "--workers", w, "--log-level", process.env.BENCH_LOG_LEVEL ?? "warn"]);
    targets[`shim (${w} worker${w === "1" ? "" : "s"})`] = port;
  }
  for (const port of Object.values(targets)) {
    await waitForAnswer(port, benchQuery(`${SERVICE}.service.consul`, 1), (d) => d.answer.length === 3);
    await waitForAnswer(port, benchQuery(`_${SERVICE}._tcp.service.consul`, 33), (d) => d.answer.length === 3);
  }
  // Rounds, each target once per round: the host is shared, so load from others hits every target alike.
  const runs: Record<string, PerfResult[]> = Object.fromEntries(Object.keys(targets).map((t) => [t, []]));
  for (let round = 0; round < ROUNDS; round++) for (const [t, port] of Object.entries(targets)) runs[t]!.push(await dnsperf({ port, queries, seconds: SECONDS }));
  const qps = Object.fromEntries(Object.entries(runs).map(([t, rs]) => [t, median(rs.map((r) => r.qps))]));
  const half: Record<string, PerfResult> = {};
  for (const [t, port] of Object.entries(targets)) half[t] = await dnsperf({ port, queries, seconds: SECONDS, qps: Math.floor(qps[t]! / 2), perQuery: true });
  for (const i of ADDRS.keys()) await consul("PUT", `/v1/agent/service/deregister/portolan-bench-${i}`);
  console.log(`\n[compare] ${SERVICE}.service.consul A + _${SERVICE}._tcp.service.consul SRV (3 instances); dnsperf -c 4 -q 200, ${SECONDS} s per run, median of ${ROUNDS} interleaved rounds; latency at half that rate`);
  for (const t of Object.keys(targets)) {
    const h = half[t]!;
    console.log(`  ${t.padEnd(18)} ${qps[t]!.toFixed(0).padStart(7)} QPS (runs: ${runs[t]!.map((r) => r.qps.toFixed(0)).join(", ")})   avg ${(h.avgMs * 1000).toFixed(0)} µs, p99 ${(h.p99Ms * 1000).toFixed(0)} µs at ${h.qps.toFixed(0)} QPS`);
  }
  for (const t of Object.keys(targets).filter((n) => n.startsWith("shim"))) {
    console.log(`  ${t}: ${(qps[t]! / qps["consul"]!).toFixed(2)}× Consul DNS, ${(qps[t]! / qps["dnsmasq"]!).toFixed(2)}× dnsmasq`);
  }
}

function instance(service: number, n: number): Instance {
  return { id: `bench:s${service}-${n}:80`, name: `svc${service}`, address: `10.${100 + (service >> 8)}.${service & 255}.${n + 1}`, port: 4000 + n, protocol: "tcp", tags: [], meta: {}, checks: [], health: "passing", owner: "bench" };
}

async function scale(): Promise<void> {
  const rss = () => process.memoryUsage().rss / 2 ** 20;
  const queries = join(dir, "scale.txt");
  // Queries spread over every service (A and SRV): the cache holds one entry per (name, type).
  writeFileSync(queries, Array.from({ length: 1000 }, (_, s) => `svc${s}.service.consul A\n_svc${s}._tcp.service.consul SRV\n`).join(""));
  const smallQueries = join(dir, "small.txt");
  writeFileSync(smallQueries, "svc0.service.consul A\n_svc0._tcp.service.consul SRV\n");
  // Two shims in this process: one with 10 instances of one service, one with 10,000 over 1,000 services.
  const smallRegistry = createMemoryRegistry();
  const registry = createMemoryRegistry();
  for (let n = 0; n < 10; n++) await smallRegistry.register(instance(0, n));
  const small = await startDns(smallRegistry, dnsOptions({ listen: { host: "127.0.0.1", port: PORTS.inproc + 1 } }), silentLogger());
  const dns = await startDns(registry, dnsOptions({ listen: { host: "127.0.0.1", port: PORTS.inproc } }), silentLogger());
  await waitForAnswer(PORTS.inproc + 1, benchQuery("svc0.service.consul", 1), (d) => d.answer.length === 10);
  const before = rss();
  const t0 = Date.now();
  for (let s = 0; s < 1000; s++) for (let n = 0; n < 10; n++) await registry.register(instance(s, n));
  await waitForAnswer(PORTS.inproc, benchQuery("svc999.service.consul", 1), (d) => d.answer.length === 10, 1);
  const loadMs = Date.now() - t0;
  const base: number[] = [];
  const big: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    base.push((await dnsperf({ port: PORTS.inproc + 1, queries: smallQueries, seconds: SECONDS })).qps);
    big.push((await dnsperf({ port: PORTS.inproc, queries, seconds: SECONDS })).qps);
  }
  const afterRss = rss();
  // Change -> answer: a new instance of svc500, then its removal, each until the shim says so.
  const changes: number[] = [];
  for (let k = 0; k < 20; k++) {
    const extra = { ...instance(500, 10 + k), address: `10.250.0.${k + 1}` };
    let t = Date.now();
    await registry.register(extra);
    await waitForAnswer(PORTS.inproc, benchQuery("svc500.service.consul", 1), (d) => d.answer.includes(`svc500.service.consul. 0 IN A ${extra.address}`), 1);
    changes.push(Date.now() - t);
    t = Date.now();
    await registry.deregister(extra);
    await waitForAnswer(PORTS.inproc, benchQuery("svc500.service.consul", 1), (d) => d.answer.length === 10, 1);
    changes.push(Date.now() - t);
  }
  await Promise.all([dns.close(), small.close()]);
  await Promise.all([registry.close(), smallRegistry.close()]);
  changes.sort((x, y) => x - y);
  const [b, g] = [median(base), median(big)];
  console.log(`\n[scale] shims in this process (embedded registry); dnsperf ${SECONDS} s per run, median of ${ROUNDS} interleaved rounds`);
  console.log(`  10 instances, 1 service:           ${b.toFixed(0)} QPS (2 names; runs ${base.map((q) => q.toFixed(0)).join(", ")})`);
  console.log(`  10,000 instances, 1,000 services:  ${g.toFixed(0)} QPS (2,000 names; runs ${big.map((q) => q.toFixed(0)).join(", ")}) = ${(g / b).toFixed(2)}×`);
  console.log(`  RSS ${before.toFixed(0)} MiB before loading, ${afterRss.toFixed(0)} MiB with 10,000 instances (registry + shim); catalog load ${loadMs} ms`);
  console.log(`  change -> answer (register / deregister, 40 changes): p50 ${changes[20]} ms, max ${changes.at(-1)} ms`);
}

try {
  if (PHASES.has("compare")) await compare();
  if (PHASES.has("scale")) await scale();
} finally {
  await Promise.all(children.map(stop));
}
await delay(0);
