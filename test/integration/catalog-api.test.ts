// The catalog's HTTP API and event stream, served by a real `portolan up` (registrator + embedded registry +
// catalog) fed by a real dockerd; portolan:// reading it from another process; bad input; the token.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli, startCli, type Running } from "./cli.js";
import { eventually, removeTestContainers, startTestContainer } from "./docker.js";
import { changeOf, get, openEvents, startServing, stopProcess } from "./catalog-support.js";

const owner = `cat-api-${process.pid}`;
const svc = `catapi${process.pid}`;
const UP = "http://127.0.0.1:18701";
const VIEW = "http://127.0.0.1:18702";
const upArgs = ["up", "--dns", "off", "--hostname", owner, "--listen", "127.0.0.1:18701", "--log-format", "json", "--retry-interval", "100"];
const webId = `${owner}:${owner}-web:80`;

describe("catalog HTTP API and events (portolan up)", () => {
  let up: Running | undefined;
  let view: Running | undefined;

  beforeAll(async () => {
    up = await startServing(UP, upArgs);
  });
  afterAll(async () => {
    await stopProcess(view);
    await stopProcess(up);
    await removeTestContainers();
  });

  it("0_a started container appears in the stream and the API; a stopped one disappears; Last-Event-ID resumes", async () => {
    const stream = await openEvents(`${UP}/v1/events`);
    const first = await stream.wait("snapshot", (e) => e.event === "snapshot");
    expect(JSON.parse(first.data)).toMatchObject({ loaded: true, backend: "up" });
    const c = await startTestContainer({ name: `${owner}-web`, ports: ["80/tcp"], env: { SERVICE_NAME: svc, SERVICE_TAGS: "blue,v1" } });
    const added = await stream.wait("added event", (e) => changeOf(e)?.added.some((i) => i.id === webId) ?? false);
    expect(added.id).toMatch(/^[a-z0-9]+-\d+$/);

    const services = (await get(`${UP}/v1/services`)).json<{ services: { name: string; passing: number; tags: string[] }[] }>();
    expect(services.services.find((s) => s.name === svc)).toMatchObject({ passing: 1, tags: ["blue", "v1"] });
    const one = await get(`${UP}/v1/services/${svc}`);
    expect(one.status).toBe(200);
    expect(one.json()).toMatchObject({ service: { name: svc, instances: 1 }, instances: [{ id: webId, owner, container: { name: `${owner}-web` }, health: "passing" }] });
    const byTag = (await get(`${UP}/v1/instances?tag=blue&host=${owner}`)).json<{ instances: { id: string; since: string }[] }>();
    expect(byTag.instances.map((i) => i.id)).toEqual([webId]);
    expect(Date.parse(byTag.instances[0]!.since)).toBeGreaterThan(Date.now() - 60_000);
    expect((await get(`${UP}/v1/instances?tag=green&host=${owner}`)).json()).toMatchObject({ instances: [] });
    const sd = (await get(`${UP}/v1/prometheus-sd`)).json<{ targets: string[]; labels: Record<string, string> }[]>();
    expect(sd.find((g) => g.labels.instance_id === webId)).toMatchObject({ labels: { service: svc, tags: ",blue,v1,", host: owner, container: `${owner}-web` } });

    // Disconnect, change things, reconnect with the last id: exactly the missed change, no snapshot.
    const lastId = stream.events.at(-1)!.id!;
    stream.close();
    await c.stop();
    await eventually("deregistered", async () => (await get(`${UP}/v1/services/${svc}`)).status === 404);
    const resumed = await openEvents(`${UP}/v1/events`, { "last-event-id": lastId });
    const removed = await resumed.wait("removed event", (e) => changeOf(e)?.removed.includes(webId) ?? false);
    expect(resumed.events.some((e) => e.event === "snapshot")).toBe(false);
    expect(resumed.events.indexOf(removed)).toBeGreaterThanOrEqual(0);
    resumed.close();
    // An id from another process (or too old) gets a snapshot instead.
    const fresh = await openEvents(`${UP}/v1/events`, { "last-event-id": "zzz-1" });
    await fresh.wait("snapshot for unknown id", (e) => e.event === "snapshot");
    fresh.close();
  });

  it("1_bad input: 404 JSON for an unknown service, 400 naming the parameter", async () => {
    const cases: [string, number, object][] = [
      [`/v1/services/nosuch${process.pid}`, 404, { error: { code: "unknown_service", service: `nosuch${process.pid}` } }],
      ["/v1/instances?health=ok", 400, { error: { code: "invalid_parameter", parameter: "health" } }],
      ["/v1/instances?service=Bad_Name", 400, { error: { code: "invalid_parameter", parameter: "service" } }],
      ["/v1/instances?colour=red", 400, { error: { code: "invalid_parameter", parameter: "colour" } }],
      ["/v1/services?tag=a&tag=b", 400, { error: { code: "invalid_parameter", parameter: "tag" } }],
      ["/v2/nothing", 404, { error: { code: "not_found" } }],
    ];
    for (const [path, status, body] of cases) {
      const r = await get(`${UP}${path}`);
      expect([path, r.status, r.headers["content-type"]]).toEqual([path, status, "application/json; charset=utf-8"]);
      expect(r.json()).toMatchObject(body);
    }
  });

  it("2_portolan:// in another process: catalog CLI and a second catalog server follow it; its backend down -> 503, then recovers", async () => {
    await startTestContainer({ name: `${owner}-db`, ports: ["5432/tcp"], env: { SERVICE_NAME: `${svc}db` } });
    const dbId = `${owner}:${owner}-db:5432`;
    await eventually("db registered", async () => (await get(`${UP}/v1/services/${svc}db`)).status === 200);
    const table = runCli(["catalog", "--registry", "portolan://127.0.0.1:18701", "--host", owner]);
    expect(table.code, table.stderr).toBe(0);
    // portolan up registers every container on this dockerd (other tests' too): look for ours.
    expect(table.stdout).toMatch(/^SERVICE +PASSING +INSTANCES +TAGS\n/);
    expect(table.stdout).toMatch(new RegExp(`^${svc}db +1 +1$`, "m"));
    const json = runCli(["catalog", "service", `${svc}db`, "--registry", "portolan://127.0.0.1:18701", "--json"]);
    expect(json.code, json.stderr).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({ service: { name: `${svc}db`, passing: 1 }, instances: [{ id: dbId, owner }] });
    const missing = runCli(["catalog", "service", "nosuchservice", "--registry", "portolan://127.0.0.1:18701"]);
    expect([missing.code, missing.stdout, missing.stderr.trim().split("\n").length]).toEqual([66, "", 1]);
    const down = runCli(["catalog", "--registry", "portolan://127.0.0.1:18709", "--timeout", "1s"]);
    expect([down.code, down.stdout]).toEqual([69, ""]);

    view = await startServing(VIEW, ["catalog", "serve", "--registry", "portolan://127.0.0.1:18701", "--listen", "127.0.0.1:18702", "--log-format", "json"]);
    await eventually("view sees db", async () => (await get(`${VIEW}/v1/instances?service=${svc}db`)).body.includes(dbId));
    const w = runCli(["catalog", "--registry", "portolan://127.0.0.1:18701", "--watch", "--json", "--timeout", "2s"], {}, 6000); // --watch runs until killed: 6 s leaves a loaded machine time to print the first view
    expect(w.stdout.split("\n")[0]).toContain(`${svc}db`);

    await stopProcess(up);
    await eventually("view reports its backend down", async () => (await get(`${VIEW}/healthz`)).status === 503, 15_000);
    const r = await get(`${VIEW}/v1/services`);
    expect([r.status, r.json()]).toMatchObject([503, { error: { code: "backend_unavailable" } }]);

    up = await startServing(UP, upArgs);
    await eventually("view recovers", async () => (await get(`${VIEW}/healthz`)).status === 200 && (await get(`${VIEW}/v1/instances?service=${svc}db`)).body.includes(dbId), 30_000);
    const writes = runCli(["registrator", "--hostname", `${owner}-w`, "--resync", "0", "portolan://127.0.0.1:18701"], {}, 4000);
    expect([writes.code, writes.stderr]).toEqual([78, expect.stringMatching(/read-only/)]);
  });

  it("3_a second portolan up on a taken --listen address exits 64 naming it", () => {
    const r = runCli(["up", "--dns", "off", "--hostname", `${owner}-2`, "--listen", "127.0.0.1:18701", "--log-format", "json"], {}, 20_000);
    expect([r.code, r.signal]).toEqual([64, null]);
    expect(r.stderr).toContain("--listen 127.0.0.1:18701");
  });

  it("4_--token: required off loopback, 401 without it, never logged", async () => {
    const refused = runCli(["catalog", "serve", "--registry", "memory:", "--listen", "0.0.0.0:18703"]);
    expect(refused.code).toBe(64);
    expect(refused.stderr).toContain("--token");
    const token = `tok-${process.pid}-secret`;
    const s = startCli(["catalog", "serve", "--registry", "memory:", "--listen", "127.0.0.1:18704", "--token", token, "--log-format", "json"]);
    try {
      await eventually("token server", async () => (await get("http://127.0.0.1:18704/healthz")).status === 200, 20_000);
      for (const path of ["/v1/services", "/v1/events", "/", "/metrics", "/v1/prometheus-sd"]) {
        expect([path, (await get(`http://127.0.0.1:18704${path}`)).status]).toEqual([path, 401]);
        expect([path, (await get(`http://127.0.0.1:18704${path}`, { authorization: "Bearer wrong" })).status]).toEqual([path, 401]);
      }
      expect((await get("http://127.0.0.1:18704/v1/services", { authorization: `Bearer ${token}` })).status).toBe(200);
      const login = await get(`http://127.0.0.1:18704/?token=${token}`);
      expect(login.status).toBe(303);
      const cookie = String(login.headers["set-cookie"]).split(";")[0]!;
      expect((await get("http://127.0.0.1:18704/v1/services", { cookie })).status).toBe(200);
      expect(s.logs()).not.toContain(token);
    } finally {
      await stopProcess(s);
    }
  });
});
