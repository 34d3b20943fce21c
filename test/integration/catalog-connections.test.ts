// --max-connections on a real `portolan up`: idle sockets far over the bound do not lock anyone out (the oldest
// idle one makes room), busy ones (event streams) over it get the new connection closed, both counted in
// /metrics; the registrator in the same process keeps registering. Bad values are refused before anything starts.
import { connect, type Socket } from "node:net";
import { request, type ClientRequest } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli, type Running } from "./cli.js";
import { eventually, removeTestContainers, startTestContainer } from "./docker.js";
import { get, startServing, stopProcess } from "./catalog-support.js";

const owner = `cat-conn-${process.pid}`;
const PORT = 18774;
const UP = `http://127.0.0.1:${PORT}`;
const MAX = 20;

function metric(body: string, name: string): number {
  const m = new RegExp(`^${name.replace(/[{}"]/g, "\\$&")} (\\d+)$`, "m").exec(body);
  return Number(m?.[1]);
}

function idleSocket(): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect(PORT, "127.0.0.1", () => resolve(s));
    s.on("error", () => {}); // an evicted socket is reset; that is the point
    s.once("error", reject);
  });
}

/** An open /v1/events stream (resolves once its headers arrived), or the error its connection met. */
function stream(): Promise<ClientRequest> {
  return new Promise((resolve, reject) => {
    const req = request(`${UP}/v1/events`, { agent: false, headers: { accept: "text/event-stream" } }, (res) => {
      res.on("data", () => {});
      resolve(req);
    });
    req.on("error", reject);
    req.end();
  });
}

describe("catalog --max-connections", () => {
  let up: Running | undefined;
  const sockets: Socket[] = [];

  beforeAll(async () => {
    up = await startServing(UP, ["up", "--dns", "off", "--hostname", owner, "--listen", `127.0.0.1:${PORT}`, "--max-connections", String(MAX), "--log-format", "json"]);
  });
  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await stopProcess(up);
    await removeTestContainers();
  });

  it("0_ten times the bound in idle connections: /healthz still answers, the registrator still registers", async () => {
    for (let k = 0; k < MAX * 10; k++) sockets.push(await idleSocket());
    expect((await get(`${UP}/healthz`)).status).toBe(200);
    const body = (await get(`${UP}/metrics`)).body;
    expect(metric(body, "portolan_catalog_connections")).toBeLessThanOrEqual(MAX);
    expect(metric(body, 'portolan_catalog_connections_closed_total{reason="evicted"}')).toBeGreaterThanOrEqual(MAX * 9);
    expect(metric(body, "portolan_catalog_max_connections")).toBe(MAX);
    const name = `conn${process.pid}`;
    await startTestContainer({ name: `${owner}-c`, ports: ["80/tcp"], env: { SERVICE_NAME: name } });
    await eventually(`${name} in the catalog`, async () => (await get(`${UP}/v1/services`)).body.includes(`"${name}"`), 20_000, 100);
    expect(up!.proc.exitCode, up!.logs()).toBe(null);
  });

  it("1_every slot busy with an event stream: a new connection is closed at once and counted", async () => {
    for (const s of sockets.splice(0)) s.destroy();
    const streams: ClientRequest[] = [];
    for (let k = 0; k < MAX; k++) streams.push(await stream());
    await expect(stream()).rejects.toThrow(/ECONNRESET|socket hang up/);
    for (const r of streams) r.destroy();
    await eventually("a slot free again", async () => (await get(`${UP}/healthz`).catch(() => undefined))?.status === 200, 10_000, 100);
    const body = (await get(`${UP}/metrics`)).body;
    expect(metric(body, 'portolan_catalog_connections_closed_total{reason="refused"}')).toBeGreaterThanOrEqual(1);
  });
});

describe("--max-connections values refused before anything starts", () => {
  const values = ["0", "-1", "many", "1e3", "1000001", ""];
  const commands: { name: string; args: string[] }[] = [
    { name: "serve", args: ["catalog", "serve", "--registry", "memory:", "--listen", "127.0.0.1:18775"] },
    { name: "up", args: ["up", "--dns", "off", "--hostname", owner, "--listen", "127.0.0.1:18775"] },
  ];
  const cases = commands.flatMap((c) => values.map((v) => ({ name: `${c.name}_${JSON.stringify(v)}`, args: [...c.args, "--max-connections", v] })));
  for (const [i, c] of cases.entries()) {
    it(`${i}_${c.name}: exit 64 naming the flag`, () => {
      const r = runCli(c.args, {}, 20_000);
      expect([r.code, r.stdout]).toEqual([64, ""]);
      expect(r.stderr).toMatch(/--max-connections/);
      expect(r.stderr).not.toMatch(/listening/);
    });
  }
});
