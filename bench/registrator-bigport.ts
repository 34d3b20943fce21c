// One big container against everyone else: `npm run bench:bigport [-- --ports 5000 --backends consul,zk]`.
// Runs the real `portolan registrator` (bin/portolan, --internal so ports need not be published) on the test bed,
// starts one container exposing N ports, and while it registers starts a small container every second. Prints,
// per backend: time until all N are registered (and the rate), the small containers' start -> registered latency
// (p50/max) during that time against a baseline before it, peak RSS and RSS after, and a SIGTERM with
// --deregister-on-exit under that load: time to exit within --shutdown-timeout and entries left.
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import Dockerode from "dockerode";
import { openRegistry } from "../src/cli/registry-uri.js";
import { silentLogger } from "../src/core/log.js";
import { delay, mapBounded } from "../src/core/util.js";
import { benchArgs } from "./args.js";

const args = benchArgs("bigport", {
  ports: { type: "string", default: "5000" },
  backends: { type: "string", default: "consul,zk" },
  image: { type: "string", default: "portolan-test/busybox:latest" },
  "shutdown-timeout": { type: "string", default: "10s" },
});
const N = Number(args.ports);
const URIS: Record<string, string> = { consul: "consul://127.0.0.1:18500", zk: "zk://127.0.0.1:21810/portolan-bench-big?format=curator", memory: "memory:" };
const BIN = new URL("../../bin/portolan", import.meta.url).pathname;
const docker = new Dockerode();
const LABEL = "portolan.bench-big";

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))] ?? NaN;

function rssMiB(pid: number, field: "VmHWM" | "VmRSS"): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  return Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? NaN) / 1024;
}

async function cleanup(): Promise<void> {
  const list = await docker.listContainers({ all: true, filters: { label: [LABEL] } });
  await mapBounded(list, 16, (c) => docker.getContainer(c.Id).remove({ force: true }).catch(() => {}));
}

async function start(name: string, ports: string[]): Promise<number> {
  const c = await docker.createContainer({
    name, Image: args.image, Cmd: ["sleep", "3600"], Env: [`SERVICE_NAME=${name}`], Labels: { [LABEL]: "1" }, StopSignal: "SIGKILL",
    ExposedPorts: Object.fromEntries(ports.map((p) => [p, {}])),
  });
  const t0 = Date.now();
  await c.start();
  return t0;
}

interface Proc {
  proc: ChildProcess;
  registeredAt: Map<string, number>;
  lines: Array<{ msg: string; [k: string]: unknown }>;
}

function registrator(uri: string, owner: string): Proc {
  const proc = spawn(BIN, ["registrator", "--hostname", owner, "--internal", "--max-services", String(N), "--resync", "0", "--cleanup", "--deregister-on-exit", "--shutdown-timeout", args["shutdown-timeout"]!, "--log-format", "json", uri], { stdio: ["ignore", "ignore", "pipe"] });
  const out: Proc = { proc, registeredAt: new Map(), lines: [] };
  let buf = "";
  proc.stderr!.setEncoding("utf8").on("data", (d: string) => {
    buf += d;
    let nl: number;
    while ((nl = buf.indexOf("\n")) >= 0) {
      const line = JSON.parse(buf.slice(0, nl)) as { msg: string; id?: string };
      buf = buf.slice(nl + 1);
      if (line.msg === "registered" && line.id) out.registeredAt.set(line.id, Date.now());
      else out.lines.push(line);
    }
  });
  return out;
}

async function until(what: string, cond: () => boolean, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await delay(20);
  }
}

async function small(r: Proc, owner: string, name: string): Promise<number> {
  const t0 = await start(name, ["80/tcp"]);
  const id = `${owner}:${name}:80`;
  await until(`${name} registered`, () => r.registeredAt.has(id), 120_000);
  return r.registeredAt.get(id)! - t0;
}

async function bench(backend: string): Promise<void> {
  const uri = URIS[backend];
  if (!uri) throw new Error(`unknown backend ${backend}`);
  const owner = `bench-big-${backend}`;
  await cleanup();
  const r = registrator(uri, owner);
  await until("first reconcile", () => r.lines.some((l) => l.msg === "resync done"), 600_000);
  const baseline: number[] = [];
  for (let k = 0; k < 5; k++) baseline.push(await small(r, owner, `${owner}-base-${k}`));
  const rssBefore = rssMiB(r.proc.pid!, "VmRSS");

  const big = `${owner}-big`;
  const bigIds = (() => Array.from({ length: N }, (_, i) => `${owner}:${big}:${10_000 + i}`))();
  const t0 = await start(big, Array.from({ length: N }, (_, i) => `${10_000 + i}/tcp`));
  const during: number[] = [];
  let k = 0;
  while (!bigIds.every((id) => r.registeredAt.has(id))) {
    const t = Date.now();
    during.push(await small(r, owner, `${owner}-during-${k++}`));
    await delay(Math.max(0, 1000 - (Date.now() - t)));
    if (Date.now() - t0 > 600_000) throw new Error("big container not registered within 10 minutes");
  }
  const bigMs = Math.max(...bigIds.map((id) => r.registeredAt.get(id)!)) - t0;
  const peak = rssMiB(r.proc.pid!, "VmHWM");
  const after = rssMiB(r.proc.pid!, "VmRSS");

  const s0 = Date.now();
  r.proc.kill("SIGTERM");
  await new Promise((resolve) => r.proc.once("exit", resolve));
  const stopMs = Date.now() - s0;
  const stopped = r.lines.find((l) => l.msg === "shutdown done" || String(l.msg).startsWith("shutdown timeout"));
  await cleanup();
  // What the bounded shutdown left (as a later --cleanup would): removed here so the next run starts empty.
  const reg = await openRegistry(uri, { logger: silentLogger() });
  const left = await reg.listOwned(owner);
  await mapBounded(left, 32, (i) => reg.deregister(i));
  await reg.close();

  console.log(`\n== ${backend} (${uri}): one container with ${N} ports (--internal, --max-services ${N})`);
  console.log(`all ${N} registered in ${bigMs} ms (${((N * 1000) / bigMs).toFixed(0)} per second)`);
  console.log(`small container start -> registered: baseline p50 ${pct(baseline, 50)} ms max ${Math.max(...baseline)} ms; during the big one (${during.length} containers) p50 ${pct(during, 50)} ms max ${Math.max(...during)} ms`);
  console.log(`RSS: ${rssBefore.toFixed(1)} MiB before, peak ${peak.toFixed(1)} MiB, ${after.toFixed(1)} MiB after`);
  console.log(`SIGTERM with --deregister-on-exit --shutdown-timeout ${args["shutdown-timeout"]}: exited in ${stopMs} ms; ${JSON.stringify(stopped ?? {})}`);
}

for (const b of args.backends!.split(",")) await bench(b.trim());
process.exit(0);
