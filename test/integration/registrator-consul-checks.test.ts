// `portolan registrator` (the built CLI) against the test bed's Consul agent: the checks a container declares.
// - A TTL check (SERVICE_CHECK_TTL or --ttl) of a healthy container is passing from its registration on: the
//   instance is in /v1/health/service/NAME?passing the moment the service exists (it used to be critical for half
//   a TTL, until the first heartbeat).
// - Every declared check is registered (SERVICE_CHECK_TCP and SERVICE_CHECK_TTL: both, not only the TTL one).
// - The shortest TTL (1 s) is heartbeated often enough never to expire.
import { afterEach, describe, expect, it } from "vitest";
import { startCli, stopCli, type Running } from "./cli.js";
import { eventually, removeTestContainers, startTestContainer } from "./docker.js";
import { TESTBED } from "./testbed.js";

const AGENT = `http://${TESTBED.consul.host}:${TESTBED.consul.port}`;
const owner = `checks-${process.pid}`;
let proc: Running | undefined;

async function get<T>(path: string): Promise<T> {
  const res = await fetch(`${AGENT}${path}`);
  if (!res.ok && res.status !== 404) throw new Error(`${path}: ${res.status}`);
  return (res.status === 404 ? undefined : await res.json()) as T;
}

interface AgentCheck {
  CheckID: string;
  ServiceID: string;
  Type: string;
  Status: string;
}

const serviceChecks = async (id: string) => Object.values(await get<Record<string, AgentCheck>>("/v1/agent/checks")).filter((c) => c.ServiceID === id);

afterEach(async () => {
  await stopCli(proc);
  proc = undefined;
  await removeTestContainers();
});

function registrator(...flags: string[]): Running {
  return startCli(["registrator", "--hostname", owner, "--deregister-on-exit", "--resync", "0", "--log-format", "json", ...flags, `consul://${TESTBED.consul.host}:${TESTBED.consul.port}`]);
}

/** Polls the agent until the service exists, then asks for its passing instances at once. */
async function passingRightAfterRegistration(name: string, id: string): Promise<{ passing: string[]; checks: AgentCheck[] }> {
  await eventually(`${id} registered`, async () => (await get<unknown>(`/v1/agent/service/${encodeURIComponent(id)}`)) !== undefined, 20_000, 10);
  const [health, checks] = await Promise.all([get<Array<{ Service: { ID: string } }>>(`/v1/health/service/${name}?passing`), serviceChecks(id)]);
  return { passing: health.map((h) => h.Service.ID), checks };
}

describe("registrator with Consul: checks", () => {
  it("0_SERVICE_CHECK_TTL is passing from the registration on", async () => {
    const name = `ttlnow${process.pid}`;
    await startTestContainer({ name: `${owner}-a`, ports: ["80/tcp"], env: { SERVICE_NAME: name, SERVICE_CHECK_TTL: "20s" } });
    proc = registrator();
    const id = `${owner}:${owner}-a:80`;
    const got = await passingRightAfterRegistration(name, id);
    expect(got.checks.map((c) => [c.Type, c.Status]).sort(), proc.logs()).toEqual([["ttl", "passing"], ["ttl", "passing"]]);
    expect(got.passing).toEqual([id]);
  }, 40_000);

  it("1_--ttl is passing from the registration on", async () => {
    const name = `ttlflag${process.pid}`;
    await startTestContainer({ name: `${owner}-b`, ports: ["80/tcp"], env: { SERVICE_NAME: name } });
    proc = registrator("--ttl", "20s");
    const id = `${owner}:${owner}-b:80`;
    const got = await passingRightAfterRegistration(name, id);
    expect(got.checks.find((c) => c.CheckID === `portolan:${id}:check-0`)?.Status, proc.logs()).toBe("passing");
    expect(got.passing).toEqual([id]);
  }, 40_000);

  it("2_SERVICE_CHECK_INITIAL_STATUS=critical is honoured on a TTL check", async () => {
    const name = `ttlcrit${process.pid}`;
    await startTestContainer({ name: `${owner}-c`, ports: ["80/tcp"], env: { SERVICE_NAME: name, SERVICE_CHECK_TTL: "20s", SERVICE_CHECK_INITIAL_STATUS: "critical" } });
    proc = registrator();
    const id = `${owner}:${owner}-c:80`;
    const got = await passingRightAfterRegistration(name, id);
    expect(got.checks.find((c) => c.CheckID === `portolan:${id}:check-0`)?.Status, proc.logs()).toBe("critical");
    expect(got.passing).toEqual([]);
  }, 40_000);

  it("4_a 1 s TTL (the minimum) never expires between two heartbeats", async () => {
    const name = `ttl1s${process.pid}`;
    await startTestContainer({ name: `${owner}-e`, ports: ["80/tcp"], env: { SERVICE_NAME: name, SERVICE_CHECK_TTL: "1s" } });
    proc = registrator();
    const id = `${owner}:${owner}-e:80`;
    await passingRightAfterRegistration(name, id);
    // 12 s of the agent's own view every 20 ms (its local health endpoint: 200 passing, 503 critical). With beats
    // once a second the check expired for some tens of ms in most seconds.
    const missing: number[] = [];
    const end = Date.now() + 12_000;
    while (Date.now() < end) {
      const res = await fetch(`${AGENT}/v1/agent/health/service/id/${encodeURIComponent(id)}`);
      await res.arrayBuffer();
      if (res.status !== 200) missing.push(Date.now());
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(missing, proc.logs()).toEqual([]);
  }, 40_000);

  it("3_SERVICE_CHECK_TCP and SERVICE_CHECK_TTL are both registered, and both pass", async () => {
    const name = `tcpttl${process.pid}`;
    // busybox httpd listens on 80, so Consul's TCP check has something to connect to.
    await startTestContainer({ name: `${owner}-d`, ports: ["80/tcp"], cmd: ["httpd", "-f", "-p", "80"], env: { SERVICE_NAME: name, SERVICE_CHECK_TCP: "true", SERVICE_CHECK_TTL: "20s", SERVICE_CHECK_INTERVAL: "1s" } });
    proc = registrator();
    const id = `${owner}:${owner}-d:80`;
    await eventually(`${id} registered`, async () => (await serviceChecks(id)).length > 0, 20_000);
    const checks = await serviceChecks(id);
    expect(checks.map((c) => [c.CheckID, c.Type]).sort(), proc.logs()).toEqual([
      [`portolan:${id}:check-0`, "tcp"],
      [`portolan:${id}:check-1`, "ttl"],
      [`portolan:${id}:health`, "ttl"],
    ]);
    // Consul's first TCP probe runs within one interval; then the instance passes on all three.
    await eventually("all checks passing", async () => (await get<unknown[]>(`/v1/health/service/${name}?passing`)).length === 1, 10_000, 100);
  }, 40_000);
});
