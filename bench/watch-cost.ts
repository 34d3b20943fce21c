// What each reading process asks of Consul: a counting proxy (bench/counting-proxy.ts) in front of an agent holding
// SERVICES x PER instances owned by another host; `portolan up` (against an empty loopback Docker engine), `dns`,
// `catalog serve` and `exec --watch` (a template naming one service, wc-s3) each read through it while the bench
// starts them, leaves them idle, adds an instance to another service (wc-s7), adds one to wc-s3, changes its health
// and removes it. Prints requests and bytes per phase and process.
// By default the agent is a private Consul dev agent on free loopback ports (the test bed's binary), so nothing else
// changes the catalog meanwhile; --consul HOST:PORT uses a running agent instead.
//
// The private agent takes up to 4,096 connections per client address (Consul's default is 200): the proxy carries
// every long poll of a process (one per service) from one address.
//
//   npm run bench:watch-cost -- [--consul HOST:PORT | --consul-bin PATH] [--services 20] [--per 5] [--idle 60]
//                               [--modes up,dns,catalog,exec] [--query servicePolls=256]  (the consul:// URI's query)
//                               [--start 4]  (seconds before the idle phase)
//                               [--cli dist/src/cli/main.js]  (another build's CLI, to compare)
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConsulRegistry } from "../adapters/consul/index.js";
import { CountingProxy, topEndpoints, type Counts } from "./counting-proxy.js";
import { catalogOptions, foreignInstance, pause, privateAgent, testBedConsul } from "./private-consul.js";
import { benchArgs } from "./args.js";

const a = benchArgs("watch-cost", {
  ...catalogOptions,
  consul: { type: "string" },
  modes: { type: "string", default: "up,dns,catalog,exec" },
  query: { type: "string" },
  // Seconds given to the process's start before the idle phase (a loaded machine needs more).
  start: { type: "string", default: "4" },
});
const SERVICES = Number(a.services);
const PER = Number(a.per);
const IDLE_S = Number(a.idle);
const OTHER = `bench-other-${process.pid}`;

const own = a.consul ? undefined : await privateAgent(a["consul-bin"] ?? testBedConsul(), "limits { http_max_conns_per_client = 4096 }");
const [host = "127.0.0.1", port = "8500"] = (a.consul ?? "").split(":");
const agent = own ?? { host, port: Number(port) };
const reg = new ConsulRegistry({ ...agent });

const inst = (s: number, k: number) => foreignInstance(OTHER, "wc-s", s, k);

// An empty Docker engine: `up` registers nothing, so what it sends to Consul is its reading side and its resync.
const engine = createServer((req, res) => {
  if (req.url!.includes("/events")) return void res.writeHead(200, { "content-type": "application/json" }).flushHeaders();
  res.writeHead(200, { "content-type": "application/json" }).end(req.url!.includes("/containers/json") ? "[]" : "{}");
});
await new Promise<void>((r) => engine.listen(0, "127.0.0.1", r));
const dockerHost = `tcp://127.0.0.1:${(engine.address() as AddressInfo).port}`;

// exec --watch renders one service (as consul-template's `{{range service "wc-s3"}}`) for a child that ignores reloads.
const work = mkdtempSync(join(tmpdir(), "portolan-watch-cost-"));
writeFileSync(join(work, "t.mustache"), "{{#services.wc-s3}}{{hostPort}}\n{{/services.wc-s3}}");

function args(mode: string, proxied: string): string[] {
  const registry = ["--registry", `consul://${proxied}${a.query ? `?${a.query}` : ""}`];
  if (mode === "exec") {
    const child = ["sh", "-c", "trap 'exit 0' TERM; trap '' HUP; while :; do sleep 1; done"];
    return ["exec", ...registry, "--watch", "--template", `${join(work, "t.mustache")}:${join(work, "out")}`, "--", ...child];
  }
  if (mode === "up") return ["up", ...registry, "--listen", "127.0.0.1:0", "--dns", "127.0.0.1:0", "--hostname", `bench-up-${process.pid}`];
  if (mode === "dns") return ["dns", ...registry, "--listen", "127.0.0.1:0"];
  return ["catalog", "serve", ...registry, "--listen", "127.0.0.1:0"];
}

interface Row {
  mode: string;
  phase: string;
  requests: number;
  polls: number;
  reads: number;
  bytes: number;
  top: string;
}

function row(mode: string, phase: string, c: Counts): Row {
  return { mode, phase, requests: c.total.requests, polls: c.polls.requests, reads: c.reads.requests, bytes: c.total.bytes, top: topEndpoints(c) };
}

async function measure(mode: string): Promise<{ rows: Row[]; warnings: number }> {
  const proxy = new CountingProxy(agent);
  const proxied = await proxy.start();
  const argv = args(mode, proxied);
  const logFlags = ["--log-format", "json", "--log-level", "warn"];
  // exec's flags go before its "--".
  const at = argv.indexOf("--");
  const full = at < 0 ? [...argv, ...logFlags] : [...argv.slice(0, at), ...logFlags.slice(2), ...argv.slice(at)];
  const child: ChildProcess = spawn(process.execPath, [a.cli!, ...full], {
    env: { ...process.env, DOCKER_HOST: dockerHost },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr!.setEncoding("utf8").on("data", (d: string) => (stderr += d));
  const rows: Row[] = [];
  const phase = async (name: string, change: () => Promise<unknown>, settleMs: number) => {
    proxy.take();
    await change();
    await pause(settleMs);
    rows.push(row(mode, name, proxy.take()));
  };
  await pause(Number(a.start) * 1000);
  rows.push(row(mode, `start (${a.start} s)`, proxy.take()));
  await phase(`idle ${IDLE_S} s`, async () => {}, IDLE_S * 1000);
  const elsewhere = inst(7, PER);
  await phase("instance added to another service", () => reg.register(elsewhere), 2000);
  await reg.deregister(elsewhere);
  await pause(1500);
  const added = inst(3, PER);
  await phase("instance added", () => reg.register(added), 2000);
  await phase("health change", () => reg.setHealth(added, "critical", "down"), 2000);
  await phase("instance removed", () => reg.deregister(added), 2000);
  child.kill("SIGTERM");
  await new Promise((r) => child.once("exit", r));
  await proxy.stop();
  return { rows, warnings: (stderr.match(/MaxListenersExceededWarning/g) ?? []).length };
}

for (let s = 0; s < SERVICES; s++) for (let k = 0; k < PER; k++) await reg.register(inst(s, k));
const results: Row[] = [];
const warnings: Record<string, number> = {};
try {
  for (const mode of a.modes!.split(",")) {
    const r = await measure(mode);
    results.push(...r.rows);
    warnings[mode] = r.warnings;
  }
} finally {
  for (let s = 0; s < SERVICES; s++) for (let k = 0; k <= PER; k++) await reg.deregister(inst(s, k)).catch(() => {});
  await reg.close();
  engine.close();
  own?.stop();
  rmSync(work, { recursive: true, force: true });
}

console.log(`${SERVICES} services x ${PER} instances owned by another host on ${own ? "a private dev agent" : a.consul}; requests (long-poll answers + reads), bytes`);
console.log("| process | phase | requests | polls | reads | bytes | most requested |");
console.log("|---|---|---|---|---|---|---|");
for (const r of results) console.log(`| ${r.mode} | ${r.phase} | ${r.requests} | ${r.polls} | ${r.reads} | ${r.bytes} | ${r.top} |`);
console.log(JSON.stringify({ services: SERVICES, instances: SERVICES * PER, idleS: IDLE_S, warnings, results: results.map(({ top: _, ...r }) => r) }));
