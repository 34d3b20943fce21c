// DNS benchmark on the real test bed: `npm run bench:dns [-- --seconds 10 --workers 1,2]`.
// 1. The same records (one service, 3 instances: A and SRV) in Consul, served by the shim (`bin/portolan dns`
//    fed by that Consul), by Consul's own DNS (127.0.0.1:18600) and by dnsmasq (host-record / srv-host
//    entries): dnsperf's QPS at full load, then average and p99 latency at half of that rate; ratios.
// 2. 10,000 instances over 1,000 services (embedded registry, shim in this process): QPS against the same
//    shim with the small catalog, memory, and the time from a registry change to the new answer.
import { spawn, type ChildProcess } from "node:child_process";
import { writeFileSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { createMemoryRegistry } from "../adapters/memory/index.js";
import { startDns } from "../src/cli/dns.js";
import { silentLogger } from "../src/core/log.js";
import type { Instance } from "../src/core/model.js";
import { delay } from "../src/core/util.js";
import { dnsOptions } from "../src/dns/options.js";
import { benchQuery, dnsperf, waitForAnswer, type PerfResult } from "./dns-perf.js";

const { values: args } = parseArgs({
  options: { seconds: { type: "string", default: "10" }, workers: { type: "string", default: "1,2" }, phases: { type: "string", default: "compare,scale" } },
});
const SECONDS = Number(args.seconds);
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

function line(name: string, r: PerfResult, half?: PerfResult): string {
  const lat = half ? `avg ${(half.avgMs * 1000).toFixed(0)} µs, p99 ${(half.p99Ms * 1000).toFixed(0)} µs at ${half.qps.toFixed(0)} QPS` : "";
  return `  ${name.padEnd(22)} ${r.qps.toFixed(0).padStart(7)} QPS (lost ${r.lost})   ${lat}`;
}

/** Full-rate QPS, then latency at half that rate. */
async function measure(port: string | number, queries: string): Promise<{ full: PerfResult; half: PerfResult }> {
  const full = await dnsperf({ port: Number(port), queries, seconds: SECONDS });
  const half = await dnsperf({ port: Number(port), queries, seconds: Math.max(3, SECONDS / 2), qps: Math.floor(full.qps / 2), perQuery: true });
  return { full, half };
}

async function compare(): Promise<void> {
  const queries = join(dir, "queries.txt");
  writeFileSync(queries, `${SERVICE}.service.consul A\n_${SERVICE}._tcp.service.consul SRV\n`);
  for (const [i, a] of ADDRS.entries()) await consul("PUT", "/v1/agent/service/register", { ID: `portolan-bench-${i}`, Name: SERVICE, Address: a, Port: 3000 + i });
  const hosts = ADDRS.flatMap((a, i) => [`--host-record=${SERVICE}.service.consul,${a}`, `--host-record=${hex(a)}.addr.dc1.consul,${a}`, `--srv-host=_${SERVICE}._tcp.service.consul,${hex(a)}.addr.dc1.consul,${3000 + i},1,1`]);
  const dnsmasq = start("dnsmasq", ["--keep-in-foreground", "--conf-file=/dev/null", "--no-resolv", "--no-hosts", "--bind-interfaces", "--listen-address=127.0.0.1", `--port=${PORTS.dnsmasq}`, "--pid-file=", "--user=root", "--local=/consul/", "--cache-size=10000", ...hosts]);
  const expected = (n: number) => (d: { answer: string[] }) => d.answer.length === n;
  await waitForAnswer(PORTS.consul, benchQuery(`${SERVICE}.service.consul`, 1), expected(3));
  await waitForAnswer(PORTS.dnsmasq, benchQuery(`${SERVICE}.service.consul`, 1), expected(3));
  const results: Record<string, { full: PerfResult; half: PerfResult }> = {};
  results["consul"] = await measure(PORTS.consul, queries);
  results["dnsmasq"] = await measure(PORTS.dnsmasq, queries);
  for (const w of args.workers!.split(",")) {
    const shim = start(BIN, ["dns", "--registry", "consul://127.0.0.1:18500", "--listen", `127.0.0.1:${PORTS.shim}`, "--workers", w, "--log-level", process.env.BENCH_LOG_LEVEL ?? "warn"]);
    await waitForAnswer(PORTS.shim, benchQuery(`_${SERVICE}._tcp.service.consul`, 33), expected(3));
    results[`shim (${w} worker${w === "1" ? "" : "s"})`] = await measure(PORTS.shim, queries);
    await stop(shim);
  }
  await stop(dnsmasq);
  for (const i of ADDRS.keys()) await consul("PUT", `/v1/agent/service/deregister/portolan-bench-${i}`);
  console.log(`\n[compare] ${SERVICE}.service.consul A + _${SERVICE}._tcp.service.consul SRV (3 instances), dnsperf ${SECONDS} s, 2 cores shared`);
  for (const [name, r] of Object.entries(results)) console.log(line(name, r.full, r.half));
  for (const name of Object.keys(results).filter((n) => n.startsWith("shim"))) {
    const q = results[name]!.full.qps;
    console.log(`  ${name}: ${(q / results["consul"]!.full.qps).toFixed(2)}× Consul DNS, ${(q / results["dnsmasq"]!.full.qps).toFixed(2)}× dnsmasq`);
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
  const small = join(dir, "small.txt");
  writeFileSync(small, "svc0.service.consul A\n_svc0._tcp.service.consul SRV\n");
  const registry = createMemoryRegistry();
  for (let n = 0; n < 10; n++) await registry.register(instance(0, n));
  const before = rss();
  const dns = await startDns(registry, dnsOptions({ listen: { host: "127.0.0.1", port: PORTS.inproc } }), silentLogger());
  await waitForAnswer(PORTS.inproc, benchQuery("svc0.service.consul", 1), (d) => d.answer.length === 10);
  const base = await dnsperf({ port: PORTS.inproc, queries: small, seconds: SECONDS });
  const t0 = Date.now();
  for (let s = 0; s < 1000; s++) for (let n = 0; n < 10; n++) await registry.register(instance(s, n));
  await waitForAnswer(PORTS.inproc, benchQuery("svc999.service.consul", 1), (d) => d.answer.length === 10);
  const loadMs = Date.now() - t0;
  const big = await dnsperf({ port: PORTS.inproc, queries, seconds: SECONDS });
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
  await dns.close();
  await registry.close();
  changes.sort((a, b) => a - b);
  console.log(`\n[scale] shim in this process, embedded registry, dnsperf ${SECONDS} s`);
  console.log(`  10 instances, 1 service:           ${base.qps.toFixed(0)} QPS (2 names)`);
  console.log(`  10,000 instances, 1,000 services:  ${big.qps.toFixed(0)} QPS (2,000 names) = ${(big.qps / base.qps).toFixed(2)}× (cache hits ${big.lost === 0 ? "all answered" : `${big.lost} lost`})`);
  console.log(`  RSS ${before.toFixed(0)} MiB before the shim, ${afterRss.toFixed(0)} MiB with 10,000 instances; catalog load ${loadMs} ms`);
  console.log(`  change -> answer (register / deregister, 40 changes): p50 ${changes[20]} ms, max ${changes.at(-1)} ms`);
}

try {
  if (PHASES.has("compare")) await compare();
  if (PHASES.has("scale")) await scale();
} finally {
  await Promise.all(children.map(stop));
}
await delay(0);
