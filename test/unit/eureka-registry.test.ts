// The Eureka adapter's requests, on a fake clock against an in-memory Eureka (the same REST answers as the real
// server: /apps, /apps/delta with apps__hashcode, 404 to an unknown lease): what one change, an idle poll, a renewal
// and a registration cost, and that a stale delta is corrected.
import { describe, expect, it } from "vitest";
import { reconcileHashCode } from "../../adapters/eureka/apps.js";
import type { EurekaAnswer, EurekaRequest, EurekaTransport } from "../../adapters/eureka/http.js";
import { EurekaRegistry } from "../../adapters/eureka/index.js";
import type { EurekaApplications, EurekaInstanceInfo } from "../../adapters/eureka/types.js";
import { InstanceRejectedError } from "../../src/core/errors.js";
import type { CatalogSnapshot, Instance } from "../../src/core/model.js";
import { FakeClock, settle } from "../support/fake-clock.js";

class FakeEureka implements EurekaTransport {
  readonly held = new Map<string, EurekaInstanceInfo>();
  readonly recent: EurekaInstanceInfo[] = [];
  calls: string[] = [];
  /** When set, /apps/delta answers this instead (a stale cached delta). */
  frozenDelta: EurekaApplications | undefined;

  private apps(infos: EurekaInstanceInfo[]): EurekaApplications {
    const byApp = new Map<string, EurekaInstanceInfo[]>();
    for (const i of infos) byApp.set(i.app, [...(byApp.get(i.app) ?? []), i]);
    return { applications: { apps__hashcode: reconcileHashCode(this.held.values()), application: [...byApp].map(([name, instance]) => ({ name, instance })) } };
  }

  delta(): EurekaApplications {
    return this.apps(this.recent);
  }

  put(info: EurekaInstanceInfo, actionType: string): void {
    const key = `${info.app}/${info.instanceId}`;
    if (actionType === "DELETED") this.held.delete(key);
    else this.held.set(key, info);
    this.recent.push({ ...info, actionType });
  }

  async request(req: EurekaRequest): Promise<EurekaAnswer> {
    const q = req.query ? `?${new URLSearchParams(req.query)}` : "";
    this.calls.push(`${req.method} ${req.path}${q}`);
    const ok = (status: number, body?: unknown): EurekaAnswer => ({ status, body, server: "fake:1" });
    const [, , app, id] = req.path.split("/").map(decodeURIComponent);
    const key = `${app}/${id}`;
    if (req.method === "GET" && req.path === "/apps") return ok(200, this.apps([...this.held.values()]));
    if (req.method === "GET" && req.path === "/apps/delta") return ok(200, this.frozenDelta ?? this.delta());
    if (req.method === "GET") return this.held.has(key) ? ok(200, { instance: this.held.get(key) }) : ok(404);
    if (req.method === "POST") {
      const info = (req.body as { instance: EurekaInstanceInfo }).instance;
      this.put(info, this.held.has(`${info.app}/${info.instanceId}`) ? "MODIFIED" : "ADDED");
      return ok(204);
    }
    if (req.method === "PUT") return ok(this.held.has(key) ? 200 : 404);
    if (req.method === "DELETE") {
      const had = this.held.get(key);
      if (had) this.put(had, "DELETED");
      return ok(had ? 200 : 404);
    }
    return ok(405);
  }

  destroy(): void {}
}

const inst = (n: number, over: Partial<Instance> = {}): Instance => ({
  id: `h1:c${n}:80`, name: `svc${n}`, address: "10.0.0.1", port: 8000 + n, protocol: "tcp", tags: [], meta: {}, checks: [], health: "passing", owner: "h1", ...over,
});

function setup() {
  const clock = new FakeClock();
  const server = new FakeEureka();
  const reg = new EurekaRegistry({ servers: [{ host: "fake", port: 1 }], path: "/eureka", pollMs: 5000, clock, transport: server });
  return { clock, server, reg };
}

async function follow(reg: EurekaRegistry, signal: AbortSignal): Promise<CatalogSnapshot[]> {
  const seen: CatalogSnapshot[] = [];
  void (async () => {
    for await (const s of reg.watch(signal)) seen.push(s);
  })();
  await settle();
  return seen;
}

describe("eureka registry requests", () => {
  it("0_watch: one whole read first, then one delta per poll; a change costs a delta and one whole read to confirm it", async () => {
    const { clock, server, reg } = setup();
    const other = new EurekaRegistry({ servers: [{ host: "fake", port: 1 }], path: "/eureka", clock, transport: server });
    const stop = new AbortController();
    const seen = await follow(reg, stop.signal);
    expect(server.calls).toEqual(["GET /apps"]);
    expect(seen).toHaveLength(1);
    server.calls = [];
    await clock.advance(5000 * 6);
    expect(server.calls).toEqual(Array(6).fill("GET /apps/delta"));
    expect(seen).toHaveLength(1);

    await other.register(inst(1), { defaultId: true });
    server.calls = [];
    await clock.advance(5000);
    expect(seen.at(-1)?.instances.map((i) => i.id)).toEqual(["h1:c1:80"]);
    await clock.advance(5000 * 3);
    expect(server.calls).toEqual(["GET /apps/delta", "GET /apps", "GET /apps/delta", "GET /apps/delta"]);
    expect(seen).toHaveLength(2);
    stop.abort();
    await reg.close();
  });

  it("1_a stale delta whose hash agrees with it is corrected by the confirming whole read", async () => {
    const { clock, server, reg } = setup();
    const writer = new EurekaRegistry({ servers: [{ host: "fake", port: 1 }], path: "/eureka", clock, transport: server });
    const stop = new AbortController();
    await writer.register(inst(1), { defaultId: true });
    await writer.register(inst(2), { defaultId: true });
    const seen = await follow(reg, stop.signal);
    // The server removes both, but its cached delta was built between the two removals: it lists one removal and
    // carries the hash of that moment.
    await writer.deregister({ id: inst(1).id, name: inst(1).name });
    server.frozenDelta = { applications: { ...server.delta().applications, apps__hashcode: "UP_1_" } };
    await writer.deregister({ id: inst(2).id, name: inst(2).name });
    await clock.advance(5000 * 2);
    expect(seen.at(-1)?.instances).toEqual([]);
    stop.abort();
    await reg.close();
  });

  it("2_renewal: the same status is one PUT with our lastDirtyTimestamp; a 404 registers again; another status re-registers", async () => {
    const { server, reg } = setup();
    await reg.register(inst(1), { defaultId: true });
    server.calls = [];
    await reg.setHealth({ id: inst(1).id, name: "svc1", owner: "h1" }, "passing", "");
    expect(server.calls).toHaveLength(1);
    expect(server.calls[0]).toMatch(/^PUT \/apps\/SVC1\/h1%3Ac1%3A80\?status=UP&lastDirtyTimestamp=\d+$/);
    server.held.clear(); // evicted, or a server restarted empty
    server.calls = [];
    await reg.setHealth({ id: inst(1).id, name: "svc1", owner: "h1" }, "passing", "");
    expect(server.calls.map((c) => c.split("?")[0])).toEqual(["PUT /apps/SVC1/h1%3Ac1%3A80", "POST /apps/SVC1"]);
    server.calls = [];
    await reg.setHealth({ id: inst(1).id, name: "svc1", owner: "h1" }, "critical", "");
    expect(server.calls).toEqual(["POST /apps/SVC1"]);
    expect(server.held.get("SVC1/h1:c1:80")?.status).toBe("DOWN");
    await reg.close();
  });

  it("3_registration: a default ID is one POST; another ID reads its holder first and is refused when another owner holds it", async () => {
    const { server, reg } = setup();
    await reg.register(inst(1), { defaultId: true });
    expect(server.calls).toEqual(["POST /apps/SVC1"]);
    server.calls = [];
    await reg.register(inst(2, { id: "shared" }));
    expect(server.calls).toEqual(["GET /apps/SVC2/shared", "POST /apps/SVC2"]);
    server.calls = [];
    await expect(reg.register(inst(2, { id: "shared", owner: "h2" }))).rejects.toBeInstanceOf(InstanceRejectedError);
    expect(server.calls).toEqual(["GET /apps/SVC2/shared"]);
    await reg.deregister({ id: "shared", name: "svc2", owner: "h2" });
    expect(server.held.has("SVC2/shared")).toBe(true);
    await reg.close();
  });

  it("4_listOwned shows this process's own writes while the server's reads lag, then what the server says", async () => {
    const { clock, server, reg } = setup();
    await reg.listOwned("h1");
    const frozen = server.delta();
    server.frozenDelta = frozen; // the server's read cache still serves the empty registry
    const origApps = server.request.bind(server);
    let lagging = true;
    server.request = async (req) => (lagging && req.path === "/apps" ? { status: 200, body: frozen, server: "fake:1" } : origApps(req));
    await reg.register(inst(1), { defaultId: true });
    expect((await reg.listOwned("h1")).map((i) => i.id)).toEqual(["h1:c1:80"]);
    await reg.deregister({ id: inst(1).id, name: "svc1" });
    expect(await reg.listOwned("h1")).toEqual([]);
    await reg.register(inst(2), { defaultId: true });
    lagging = false;
    server.frozenDelta = undefined;
    await clock.advance(1000);
    expect((await reg.listOwned("h1")).map((i) => i.id)).toEqual(["h1:c2:80"]);
    await reg.close();
  });

  it("5_a reader that leaves while its fetch is in flight does not abort that fetch for listOwned, which shares it", async () => {
    const { server, reg } = setup();
    await reg.listOwned("h1");
    let release: () => void = () => {};
    const held = new Promise<void>((r) => (release = r));
    const answer = server.request.bind(server);
    let seen: AbortSignal | undefined;
    server.request = async (req) => {
      seen = req.signal;
      await held;
      return answer(req);
    };
    const leaving = new AbortController();
    const snaps = reg.watch(leaving.signal)[Symbol.asyncIterator]();
    const first = snaps.next();
    await settle();
    const owned = reg.listOwned("h1");
    leaving.abort();
    expect(seen?.aborted).toBe(false);
    release();
    await expect(owned).resolves.toEqual([]);
    await first;
    await reg.close();
  });

  it("6_validate: IDs that cannot travel in a URL path and metadata keys that are no XML names are refused", () => {
    const { reg } = setup();
    expect(() => reg.validate(inst(1, { id: "a/b" }))).toThrow(InstanceRejectedError);
    expect(() => reg.validate(inst(1, { id: ".." }))).toThrow(InstanceRejectedError);
    expect(() => reg.validate(inst(1, { meta: { "1x": "v" } }))).toThrow(InstanceRejectedError);
    expect(() => reg.validate(inst(1, { meta: { portolan_owner: "forged" } }))).toThrow(InstanceRejectedError);
    expect(() => reg.validate(inst(1, { meta: { "management.port": "8080" } }))).not.toThrow();
  });
});
