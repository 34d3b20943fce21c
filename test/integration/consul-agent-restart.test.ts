// `portolan registrator` (the built CLI) when its Consul agent restarts, against a real agent started here (a
// server with a data dir, as a client agent keeps its services and checks across a restart; ports from the
// 28500-28599 block, never the shared test bed's agents). The agent restores a TTL check that was never updated
// as critical: an entry registered less than one heartbeat ago stayed out of DNS until the next heartbeat or resync.
// The registrator notices the restart from the idle connection the stopping agent closes and heartbeats it at once.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startCli, stopCli, type Running } from "./cli.js";
import { eventually, removeTestContainers, startTestContainer } from "./docker.js";

const BIN = join(process.env.PORTOLAN_CACHE ?? join(homedir(), ".cache", "portolan"), "consul-v1.21.0");
const owner = `arestart-${process.pid}`;
let dir: string;
let ports: number[] = [];
let agent: ChildProcess | undefined;
let proc: Running | undefined;

async function free(port: number): Promise<boolean> {
  const srv = createServer();
  return new Promise((resolve) => {
    srv.once("error", () => resolve(false));
    srv.listen(port, "127.0.0.1", () => srv.close(() => resolve(true)));
  });
}

/** Four free ports of the 28500-28599 block (http, serf lan, serf wan, server). */
async function pickPorts(): Promise<number[]> {
  for (let base = 28500; base < 28600; base += 4) {
    const block = [base, base + 1, base + 2, base + 3];
    if ((await Promise.all(block.map(free))).every(Boolean)) return block;
  }
  throw new Error("no 4 free ports in 28500-28599");
}

const url = (path: string) => `http://127.0.0.1:${ports[0]}${path}`;

async function launch(): Promise<void> {
  const [http, lan, wan, server] = ports;
  agent = spawn(BIN, ["agent", "-server", "-bootstrap-expect", "1", "-node", owner, "-bind", "127.0.0.1", "-client", "127.0.0.1", "-data-dir", join(dir, "data"),
    "-config-file", join(dir, "config.json"), "-http-port", `${http}`, "-dns-port", "-1", "-grpc-port", "-1", "-grpc-tls-port", "-1",
    "-serf-lan-port", `${lan}`, "-serf-wan-port", `${wan}`, "-server-port", `${server}`, "-log-level", "warn"], { stdio: "ignore" });
  await eventually("the agent's leader", async () => {
    const r = await fetch(url("/v1/status/leader")).catch(() => undefined);
    return r?.ok && ((await r.json()) as string) !== "";
  }, 60_000, 200);
}

async function stopAgent(): Promise<void> {
  const a = agent;
  if (!a || a.exitCode !== null || a.signalCode !== null) return;
  const exited = new Promise((r) => a.once("exit", r));
  a.kill("SIGTERM");
  await exited;
}

async function checkStatus(id: string): Promise<string | undefined> {
  const r = await fetch(url("/v1/agent/checks")).catch(() => undefined);
  if (!r?.ok) return undefined;
  return (await r.json() as Record<string, { Status: string }>)[`portolan:${id}:health`]?.Status;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "portolan-agent-restart-"));
  // No update check: the agent contacts nothing beyond loopback.
  writeFileSync(join(dir, "config.json"), JSON.stringify({ disable_update_check: true }));
  ports = await pickPorts();
  await launch();
}, 90_000);

afterAll(async () => {
  await stopCli(proc);
  await removeTestContainers();
  await stopAgent();
  rmSync(dir, { recursive: true, force: true });
});

describe("registrator when its Consul agent restarts", () => {
  it("0_an entry younger than one heartbeat is passing again within seconds of the agent's return, not at the next resync", async () => {
    const name = `arestart${process.pid}`;
    await startTestContainer({ name: `${owner}-a`, ports: ["80/tcp"], env: { SERVICE_NAME: name } });
    // Heartbeats every 2.5 min (a quarter of the 10 min TTL) and a resync every 5 min: neither comes in this test.
    proc = startCli(["registrator", "--hostname", owner, "--explicit", "--resync", "5m", "--log-format", "json", `consul://127.0.0.1:${ports[0]}`]);
    const id = `${owner}:${owner}-a:80`;
    await eventually(`${id} registered passing`, async () => (await checkStatus(id)) === "passing", 30_000, 50);
    await new Promise((r) => setTimeout(r, 500)); // the registration's connection is back in the pool, idle

    await stopAgent();
    await launch();
    const back = Date.now();
    // Without the fix it stays critical until the next heartbeat (2.5 min) or resync (5 min).
    await eventually(`${id} passing after the restart`, async () => (await checkStatus(id)) === "passing", 20_000, 50);
    console.log(`[consul agent restart] ${id} passing again ${Date.now() - back} ms after the agent had a leader again`);
    expect(proc.logs()).toContain("consul agent restarted");
  }, 150_000);
});
