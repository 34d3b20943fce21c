// `portolan exec --watch` beside consul-template (built from its Go module, scripts/build-reference-tools.sh) on the
// same Consul agent, each behind its own counting proxy (bench/counting-proxy.ts): a private dev agent holding
// SERVICES x PER instances owned by another host, one template reading one service (gx1) in each tool's language.
// Phases: start, idle, an instance added to an unrelated service (gx7), one added to gx1, its health changed to
// critical, and it removed. Prints requests and bytes per phase for each tool and portolan's ratio to
// consul-template; after every phase both outputs must be the same text (else exit 1).
//
//   npm run bench:exec-vs-consul-template -- [--services 20] [--per 5] [--idle 60] [--consul-bin PATH]
//                                            [--consul-template PATH] [--cli dist/src/cli/main.js]
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConsulRegistry } from "../adapters/consul/index.js";
import type { Instance } from "../src/core/model.js";
import { CountingProxy, topEndpoints, type Tally } from "./counting-proxy.js";
import { cacheDir, catalogOptions, foreignInstance, pause, privateAgent, testBedConsul } from "./private-consul.js";
import { benchArgs } from "./args.js";

const CONSUL_TEMPLATE_VERSION = "v0.41.1";
const a = benchArgs("exec-vs-consul-template", {
  ...catalogOptions,
  "consul-template": { type: "string" },
});
const SERVICES = Number(a.services);
const PER = Number(a.per);
const IDLE_S = Number(a.idle);
if (!(SERVICES >= 8 && PER >= 1 && IDLE_S >= 0)) {
  console.error("bench:exec-vs-consul-template: --services must be at least 8 (gx1 and gx7 are used), --per at least 1, --idle at least 0");
  process.exit(64);
}
const OTHER = `bench-other-${process.pid}`;
const USED = "gx1";
const UNRELATED = "gx7";

/** consul-template's binary: --consul-template, else the cached build (built now when missing). */
function consulTemplateBin(): string {
  if (a["consul-template"]) return a["consul-template"];
  const cached = join(cacheDir(), `consul-template-${CONSUL_TEMPLATE_VERSION}`);
  if (existsSync(cached)) return cached;
  const script = new URL("../../scripts/build-reference-tools.sh", import.meta.url).pathname;
  return execFileSync("bash", [script, "consul-template"], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] }).trim().split("\n").pop()!;
}

const inst = (s: number, k: number) => foreignInstance(OTHER, "gx", s, k);

const ctBin = consulTemplateBin();
const agent = await privateAgent(a["consul-bin"] ?? testBedConsul());
const reg = new ConsulRegistry({ host: agent.host, port: agent.port });
const work = mkdtempSync(join(tmpdir(), "portolan-vs-ct-"));
const out = { portolan: join(work, "portolan.out"), ct: join(work, "ct.out") };
// The same text from both: one "address:port" line per passing instance of gx1, in the same order (consul-template
// sorts by node then ID, portolan by address then port; here one node, and IDs and ports rise together).
writeFileSync(join(work, "t.mustache"), `{{#services.${USED}}}{{hostPort}}\n{{/services.${USED}}}`);
writeFileSync(join(work, "t.ctmpl"), `{{range service "${USED}"}}{{.Address}}:{{.Port}}\n{{end}}`);

const proxies = { portolan: new CountingProxy(agent), ct: new CountingProxy(agent) };
const procs: Array<[ChildProcess, NodeJS.Signals]> = [];
interface Row {
  phase: string;
  ct: Tally;
  portolan: Tally;
  /** What each asked ("1 /v1/health/service/*"). */
  asked: { ct: string; portolan: string };
}
const rows: Row[] = [];

function read(file: string): string | undefined {
  return existsSync(file) ? readFileSync(file, "utf8") : undefined;
}

function expected(instances: Instance[]): string {
  return instances.map((i) => `${i.address}:${i.port}\n`).join("");
}

/** Waits (bounded) until both outputs are `want`; throws naming what each holds. */
async function outputsBecome(want: string, phase: string): Promise<void> {
  for (let t = 0; t < 200; t++) {
    if (read(out.portolan) === want && read(out.ct) === want) return;
    await pause(50);
  }
  throw new Error(`${phase}: outputs differ from the expected text ${JSON.stringify(want)}: portolan ${JSON.stringify(read(out.portolan))}, consul-template ${JSON.stringify(read(out.ct))}`);
}

async function phase(name: string, change: () => Promise<unknown>, want: string, settleMs: number): Promise<void> {
  for (const p of Object.values(proxies)) p.take();
  console.error(`bench: ${name}`);
  await change();
  await outputsBecome(want, name);
  await pause(settleMs);
  await outputsBecome(want, name); // and still both the same after the settle time
  const [ct, portolan] = [proxies.ct.take(), proxies.portolan.take()];
  rows.push({ phase: name, ct: ct.total, portolan: portolan.total, asked: { ct: topEndpoints(ct), portolan: topEndpoints(portolan) } });
}

try {
  for (let s = 0; s < SERVICES; s++) for (let k = 0; k < PER; k++) await reg.register(inst(s, k));
  const used = Array.from({ length: PER }, (_, k) => inst(1, k));
  const addr = { portolan: await proxies.portolan.start(), ct: await proxies.ct.start() };
  const start = async () => {
    const child = ["sh", "-c", "trap 'exit 0' TERM; trap '' HUP; while :; do sleep 1; done"];
    procs.push([spawn(process.execPath, [a.cli!, "exec", "--registry", `consul://${addr.portolan}`, "--watch", "--template", `${join(work, "t.mustache")}:${out.portolan}`,
      "--log-level", "warn", "--", ...child], { stdio: ["ignore", "ignore", "inherit"] }), "SIGTERM"]);
    procs.push([spawn(ctBin, ["-consul-addr", addr.ct, "-template", `${join(work, "t.ctmpl")}:${out.ct}`, "-log-level", "err"], { stdio: ["ignore", "ignore", "inherit"] }), "SIGINT"]);
  };
  await phase("start", start, expected(used), 4000);
  await phase(`idle ${IDLE_S} s`, async () => {}, expected(used), IDLE_S * 1000);
  await phase(`an instance added to an unrelated service (${UNRELATED})`, () => reg.register(inst(7, PER)), expected(used), 3000);
  const added = inst(1, PER);
  await phase(`an instance added to the used service (${USED})`, () => reg.register(added), expected([...used, added]), 3000);
  await phase("its health changed to critical", () => reg.setHealth(added, "critical", "down"), expected(used), 3000);
  await phase("it removed", () => reg.deregister(added), expected(used), 3000);
} finally {
  // consul-template stops on SIGINT (its kill_signal); SIGTERM would be passed on to a child it does not have.
  for (const [p, sig] of procs) p.kill(sig);
  await Promise.all(procs.map(([p]) => (p.exitCode === null && p.signalCode === null ? new Promise((r) => p.once("exit", r)) : undefined)));
  for (const p of Object.values(proxies)) await p.stop();
  await reg.close();
  agent.stop();
  rmSync(work, { recursive: true, force: true });
}

const kb = (n: number) => (n < 1024 ? `${n} B` : `${(n / 1024).toFixed(1)} KB`);
const ratio = (p: number, c: number) => (c === 0 ? (p === 0 ? "1.00" : "inf") : (p / c).toFixed(2));
console.log(`consul-template ${CONSUL_TEMPLATE_VERSION} and portolan exec --watch, one template reading ${USED}; ${SERVICES} services x ${PER} instances of another host on a private dev agent; outputs identical after every phase`);
console.log("| phase | consul-template | portolan exec --watch | ratio requests | ratio bytes | asked: consul-template; portolan |");
console.log("|---|---|---|---|---|---|");
for (const r of rows) {
  console.log(`| ${r.phase} | ${r.ct.requests} requests, ${kb(r.ct.bytes)} | ${r.portolan.requests} requests, ${kb(r.portolan.bytes)} | ${ratio(r.portolan.requests, r.ct.requests)} | ${ratio(r.portolan.bytes, r.ct.bytes)} | ${r.asked.ct || "-"}; ${r.asked.portolan || "-"} |`);
}
const worst = (k: keyof Tally) => Math.max(...rows.map((r) => (r.ct[k] === 0 ? (r.portolan[k] === 0 ? 1 : Infinity) : r.portolan[k] / r.ct[k])));
console.log(JSON.stringify({ services: SERVICES, instances: SERVICES * PER, idleS: IDLE_S, identical: true, worstRequestRatio: worst("requests"), worstByteRatio: worst("bytes"), rows: rows.map(({ asked: _, ...r }) => r) }));
