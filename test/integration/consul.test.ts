// The Consul adapter against the real Consul dev agent of the test bed (scripts/testbed.sh).
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { createServer as createHttpsServer, type Server as HttpsServer } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TLSSocket } from "node:tls";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConsulOptionsError, ConsulRegistry, ConsulRequestError, ConsulValidationError } from "../../adapters/consul/index.js";
import { BackendUnavailableError } from "../../src/core/errors.js";
import type { CatalogSnapshot, Instance } from "../../src/core/model.js";
import { ConsulClient } from "../../adapters/consul/client.js";
import { watchCatalog, type WatchSource } from "../../adapters/consul/watch.js";
import { silentLogger } from "../../src/core/log.js";
import { consulNotRunReason, consulRestart, TESTBED } from "./testbed.js";

const RUN = `${process.pid}${Date.now() % 100_000}`;
const OWNER = `itest-${RUN}`;
const TOKEN = `dummy-token-${RUN}-secret`;

function inst(n: string, over: Partial<Instance> = {}): Instance {
  return {
    id: `${OWNER}:c${n}:80`,
    name: `pt${RUN}-${n}`,
    address: "127.0.0.1",
    port: 10_000 + Number(n.replace(/\D/g, "") || 1),
    protocol: "tcp",
    tags: ["t1", "t0"],
    meta: { team: "core", "x-y_z": "v" },
    checks: [],
    health: "passing",
    owner: OWNER,
    ...over,
  };
}

let reg: ConsulRegistry;
let web: Server;
let webPort = 0;

beforeAll(async () => {
  const why = consulNotRunReason();
  if (why) throw new Error(`CONSUL INTEGRATION NOT RUN: ${why}`);
  reg = new ConsulRegistry({ ...TESTBED.consul, token: TOKEN, watchWaitMs: 10_000 });
  web = createServer((_req, res) => res.end("ok")).listen(0, "127.0.0.1");
  await new Promise((r) => web.once("listening", r));
  webPort = (web.address() as AddressInfo).port;
});

afterAll(async () => {
  if (reg) {
    for (const i of await reg.listOwned(OWNER).catch(() => [])) await reg.deregister(i);
    await reg.close();
  }
  web?.close();
});

describe("register / listOwned", () => {
  it("0_round_trip_is_exact", async () => {
    const want: Instance[] = [
      inst("1"),
      inst("2", { protocol: "udp", id: `${OWNER}:c2:53:udp`, container: { id: "c0ffee", name: "dns" }, tags: [], meta: {} }),
      inst("3", {
        health: "warning",
        checks: [
          { type: "http", target: `http://127.0.0.1:${webPort}/health`, intervalMs: 5000, timeoutMs: 1500, deregisterAfterMs: 120_000 },
          { type: "https", target: `https://127.0.0.1:${webPort}/`, tlsSkipVerify: true, initialStatus: "passing" },
          { type: "tcp", target: `127.0.0.1:${webPort}` },
          { type: "ttl", intervalMs: 30_000, initialStatus: "warning" },
        ],
      }),
      inst("4", { address: "::1", meta: { empty: "" } }),
    ];
    for (const i of want) await reg.register(i);
    const got = await reg.listOwned(OWNER);
    expect(got).toStrictEqual([...want].sort((a, b) => (a.id < b.id ? -1 : 1)));
    expect(await reg.listOwned(`${OWNER}-other`)).toEqual([]);
    // Idempotent: registering the same again changes nothing visible.
    for (const i of want) await reg.register(i);
    expect(await reg.listOwned(OWNER)).toStrictEqual(got);
    for (const i of want) await reg.deregister(i);
    expect(await reg.listOwned(OWNER)).toEqual([]);
  });

  it("1_register_latency", async () => {
    const times: number[] = [];
    for (let n = 0; n < 100; n++) {
      const t0 = performance.now();
      await reg.register(inst(`L${n}`, { checks: [{ type: "ttl", intervalMs: 60_000 }] }));
      times.push(performance.now() - t0);
    }
    const p50 = percentile(times, 50);
    const p95 = percentile(times, 95);
    console.log(`[consul] register(): p50 ${p50.toFixed(2)} ms, p95 ${p95.toFixed(2)} ms over ${times.length}`);
    expect(p95).toBeLessThan(1000);
    for (let n = 0; n < 100; n++) await reg.deregister(inst(`L${n}`));
  });

  it("2_deregister_absent_is_fine", async () => {
    await reg.register(inst("5"));
    await reg.deregister(inst("5"));
    await reg.deregister(inst("5"));
    expect(await reg.listOwned(OWNER)).toEqual([]);
  });

  it("3_invalid_meta_is_rejected_before_sending", async () => {
    await expect(reg.register(inst("6", { meta: { "a.b": "x" } }))).rejects.toBeInstanceOf(ConsulValidationError);
    const services = await consulGet<Record<string, unknown>>("/v1/agent/services");
    expect(Object.keys(services)).not.toContain(inst("6").id);
  });
});

describe("setHealth", () => {
  it("0_drives_the_docker_health_check_and_heartbeats_user_ttl_checks", async () => {
    const i = inst("7", { health: "passing", checks: [{ type: "ttl", intervalMs: 60_000 }] });
    await reg.register(i);
    type HC = { CheckID: string; Status: string; Output: string };
    const checks = () => consulGet<HC[]>(`/v1/health/checks/${i.name}`);
    expect((await checks()).find((c) => c.CheckID === `portolan:${i.id}:check-0`)?.Status).toBe("critical");

    await reg.setHealth(i, "passing", "healthy: exit 0");
    let cs = await checks();
    expect(cs.find((c) => c.CheckID === `portolan:${i.id}:check-0`)).toMatchObject({ Status: "passing", Output: "healthy: exit 0" });
    expect(cs.find((c) => c.CheckID === `portolan:${i.id}:health`)?.Status).toBe("passing");
    // An output-only change reaches the catalog lazily (agent check_update_interval); the agent has it now.
    const local = await consulGet<Record<string, HC>>("/v1/agent/checks");
    expect(local[`portolan:${i.id}:health`]).toMatchObject({ Status: "passing", Output: "healthy: exit 0" });
    expect(await consulGet<unknown[]>(`/v1/health/service/${i.name}?passing=true`)).toHaveLength(1);

    await reg.setHealth(i, "critical", "unhealthy: exit 1");
    cs = await checks();
    expect(cs.filter((c) => c.Status === "critical").map((c) => c.CheckID).sort()).toEqual(
      [`portolan:${i.id}:check-0`, `portolan:${i.id}:health`].sort(),
    );
    expect(await consulGet<unknown[]>(`/v1/health/service/${i.name}?passing=true`)).toHaveLength(0);
    expect((await reg.listOwned(OWNER)).find((x) => x.id === i.id)?.health).toBe("critical");
    await reg.deregister(i);
  });

  it("1_unknown_service_is_a_request_error_naming_it", async () => {
    const err = await reg.setHealth(inst("8"), "passing", "").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConsulRequestError);
    expect((err as ConsulRequestError).serviceId).toBe(inst("8").id);
    expect(String((err as Error).message)).not.toContain(TOKEN);
  });
});

describe("watch", () => {
  it("0_first_state_then_changes_within_bounded_time", async () => {
    const rec = new SnapshotRecorder((signal) => reg.watch(signal));
    try {
      const first = await rec.waitFor(() => true, 10_000);
      expect(first.version).toBeGreaterThan(0);
      // The agent's own "consul" service is there, owned by the node name (registered without portolan meta).
      expect(first.instances.find((x) => x.name === "consul")?.owner).toBe("portolan-dev");

      const added: number[] = [];
      const healthChanged: number[] = [];
      for (let n = 0; n < 10; n++) {
        const i = inst(`W${n}`, { health: "passing" });
        let t0 = performance.now();
        await reg.register(i);
        const s1 = await rec.waitFor((s) => has(s, i.id, "passing"), 5000);
        added.push(performance.now() - t0);
        t0 = performance.now();
        await reg.setHealth(i, "critical", "down");
        const s2 = await rec.waitFor((s) => has(s, i.id, "critical"), 5000);
        healthChanged.push(performance.now() - t0);
        expect(s2.version).toBeGreaterThan(s1.version);
        const seen = s2.instances.find((x) => x.id === i.id);
        expect(seen).toMatchObject({ owner: OWNER, name: i.name, port: i.port, tags: i.tags, meta: i.meta });
        await reg.deregister(i);
        await rec.waitFor((s) => !s.instances.some((x) => x.id === i.id), 5000);
      }
      console.log(
        `[consul] change -> watch snapshot: register p50 ${percentile(added, 50).toFixed(1)} ms max ${Math.max(...added).toFixed(1)} ms; ` +
          `setHealth p50 ${percentile(healthChanged, 50).toFixed(1)} ms max ${Math.max(...healthChanged).toFixed(1)} ms`,
      );
      const versions = rec.all.map((s) => s.version);
      expect(versions).toEqual([...versions].sort((a, b) => a - b));
    } finally {
      await rec.stop();
    }
  });
});

describe("watch at scale", () => {
  it("0_hundreds_of_services_only_changed_ones_are_reread", async () => {
    const N = 300;
    const many = Array.from({ length: N }, (_, n) => inst(`S${n}`));
    for (const i of many) await reg.register(i);
    // The adapter's own client, with reads of /v1/health/service/<name> counted (no fake: the real agent answers).
    const client = new ConsulClient({ ...TESTBED.consul, requestTimeoutMs: 10_000 });
    let reads = 0;
    const source: WatchSource = {
      catalogServices: (i, w, s) => client.catalogServices(i, w, s),
      healthState: (i, w, s) => client.healthState(i, w, s),
      healthService: (name, s) => (reads++, client.healthService(name, s)),
    };
    const rec = new SnapshotRecorder((signal) => watchCatalog(source, { waitMs: 10_000, logger: silentLogger() }, signal));
    try {
      let t0 = performance.now();
      const first = await rec.waitFor(() => true, 30_000);
      const firstMs = performance.now() - t0;
      expect(many.every((i) => first.instances.some((x) => x.id === i.id))).toBe(true);
      expect(reads).toBeGreaterThanOrEqual(N);

      const target = many[7]!;
      reads = 0;
      t0 = performance.now();
      await reg.setHealth(target, "critical", "down");
      await rec.waitFor((s) => has(s, target.id, "critical"), 5000);
      const healthMs = performance.now() - t0;
      const healthReads = reads;
      expect(healthReads).toBeLessThan(20); // located: this service (plus whatever else changed meanwhile)

      const added = inst("S9999");
      reads = 0;
      t0 = performance.now();
      await reg.register(added);
      await rec.waitFor((s) => has(s, added.id, "passing"), 5000);
      const addMs = performance.now() - t0;
      const addReads = reads;

      const moved = { ...many[3]!, port: 30_003 };
      reads = 0;
      t0 = performance.now();
      await reg.register(moved); // same id, same tags, no check change: not locatable, all re-read
      await rec.waitFor((s) => s.instances.some((x) => x.id === moved.id && x.port === 30_003), 10_000);
      const moveMs = performance.now() - t0;
      console.log(
        `[consul] watch over ${N + 1} services: first snapshot ${firstMs.toFixed(0)} ms; ` +
          `setHealth -> snapshot ${healthMs.toFixed(1)} ms (${healthReads} reads); ` +
          `new instance -> snapshot ${addMs.toFixed(1)} ms (${addReads} reads); ` +
          `port change -> snapshot ${moveMs.toFixed(1)} ms (${reads} reads)`,
      );
      await reg.deregister(added);
    } finally {
      await rec.stop();
      client.destroy();
      for (const i of many) await reg.deregister(i);
    }
  });
});

describe("errors and the token", () => {
  let fake: Server;
  let fakePort = 0;
  const seenTokens: (string | undefined)[] = [];
  beforeAll(async () => {
    // Answers like a Consul that echoes the request's token back in its error text.
    fake = createServer((req, res) => {
      const token = req.headers["x-consul-token"] as string | undefined;
      seenTokens.push(token);
      res.statusCode = req.url?.includes("/agent/service/register") ? 400 : 500;
      res.setHeader("content-type", "text/plain");
      res.end(`Invalid request (token ${token ?? "none"} was used for ${req.url ?? ""}); ${"x".repeat(100)}`);
    }).listen(0, "127.0.0.1");
    await new Promise((r) => fake.once("listening", r));
    fakePort = (fake.address() as AddressInfo).port;
  });
  afterAll(() => fake?.close());

  it("0_token_goes_as_header_and_the_real_agent_accepts_it", async () => {
    await reg.register(inst("9"));
    expect((await reg.listOwned(OWNER)).map((i) => i.id)).toContain(inst("9").id);
    await reg.deregister(inst("9"));
  });

  it("1_4xx_is_request_error_5xx_and_refused_are_unavailable_never_with_the_token", async () => {
    const r = new ConsulRegistry({ host: "127.0.0.1", port: fakePort, token: TOKEN });
    const e400 = await r.register(inst("10")).catch((e: unknown) => e);
    expect(e400).toBeInstanceOf(ConsulRequestError);
    expect((e400 as ConsulRequestError).consulMessage).toContain("Invalid request");
    const e500 = await r.listOwned(OWNER).catch((e: unknown) => e);
    expect(e500).toBeInstanceOf(BackendUnavailableError);
    await r.close();
    expect(seenTokens).toContain(TOKEN);

    const closed = createServer();
    await new Promise<void>((res) => closed.listen(0, "127.0.0.1", res));
    const deadPort = (closed.address() as AddressInfo).port;
    await new Promise((res) => closed.close(res));
    const r2 = new ConsulRegistry({ host: "127.0.0.1", port: deadPort, token: TOKEN });
    const refused = await r2.register(inst("11")).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(BackendUnavailableError);
    expect((refused as Error).cause).toBeInstanceOf(Error);
    await r2.close();

    for (const e of [e400, e500, refused]) {
      const text = `${String(e)} ${(e as Error).stack ?? ""} ${JSON.stringify(e)} ${String((e as Error).cause)}`;
      expect(text).not.toContain(TOKEN);
    }
  });
});

describe("TLS (a local HTTPS server standing in for a Consul agent with verify_incoming)", () => {
  let dir = "";
  let server: HttpsServer;
  let port = 0;
  const clients: string[] = [];
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "portolan-consul-tls-"));
    const ssl = (...args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: "pipe" });
    const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
    ssl("req", "-x509", ...ec, "-keyout", "ca.key", "-out", "ca.pem", "-days", "1", "-subj", "/CN=portolan test CA");
    writeFileSync(join(dir, "san.ext"), "subjectAltName=IP:127.0.0.1\n");
    for (const [name, cn] of [["server", "127.0.0.1"], ["client", "portolan-client"]] as const) {
      ssl("req", ...ec, "-keyout", `${name}.key`, "-out", `${name}.csr`, "-subj", `/CN=${cn}`);
      ssl("x509", "-req", "-in", `${name}.csr`, "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", `${name}.pem`, "-days", "1", "-extfile", "san.ext");
    }
    const read = (f: string) => readFileSync(join(dir, f), "utf8");
    server = createHttpsServer(
      { key: read("server.key"), cert: read("server.pem"), ca: read("ca.pem"), requestCert: true, rejectUnauthorized: true },
      (req, res) => {
        const peer = (req.socket as TLSSocket).getPeerCertificate();
        clients.push(`${String(peer.subject?.CN)} ${String(req.headers["x-consul-token"])}`);
        res.setHeader("content-type", "application/json");
        res.end("{}");
      },
    ).listen(0, "127.0.0.1");
    await new Promise((r) => server.once("listening", r));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => {
    server?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("0_ca_and_client_certificate_from_pem_files", async () => {
    const r = new ConsulRegistry({
      host: "127.0.0.1",
      port,
      secure: true,
      token: TOKEN,
      ca: join(dir, "ca.pem"),
      cert: join(dir, "client.pem"),
      key: join(dir, "client.key"),
    });
    expect(await r.listOwned(OWNER)).toEqual([]);
    await r.close();
    expect(clients).toContain(`portolan-client ${TOKEN}`);
  });

  it("1_ca_as_pem_text_and_no_client_certificate_is_refused_by_the_server", async () => {
    const r = new ConsulRegistry({ host: "127.0.0.1", port, ca: readFileSync(join(dir, "ca.pem"), "utf8") });
    await expect(r.listOwned(OWNER)).rejects.toBeInstanceOf(BackendUnavailableError);
    await r.close();
  });

  it("2_without_the_ca_the_server_is_not_trusted", async () => {
    const r = new ConsulRegistry({ host: "127.0.0.1", port, secure: true, cert: join(dir, "client.pem"), key: join(dir, "client.key") });
    const err = await r.listOwned(OWNER).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BackendUnavailableError);
    await r.close();
  });

  it("3_unreadable_pem_file_is_an_options_error", () => {
    expect(() => new ConsulRegistry({ host: "127.0.0.1", port, ca: join(dir, "missing.pem") })).toThrow(ConsulOptionsError);
  });
});

describe("close()", () => {
  it("0_ends_running_watches", async () => {
    const r = new ConsulRegistry({ ...TESTBED.consul, watchWaitMs: 60_000 });
    const it = r.watch()[Symbol.asyncIterator]();
    expect((await it.next()).done).toBe(false);
    const pending = it.next(); // blocked: nothing changes
    const t0 = performance.now();
    await r.close();
    expect((await pending).done).toBe(true);
    expect(performance.now() - t0).toBeLessThan(2000);
  });
});

describe("agent restart (runs last: the dev agent loses all state)", () => {
  it("0_watch_goes_on_and_listOwned_is_empty_afterwards", async () => {
    const rec = new SnapshotRecorder((signal) => reg.watch(signal));
    try {
      const i = inst("R1");
      await reg.register(i);
      const before = await rec.waitFor((s) => has(s, i.id, "passing"), 5000);
      consulRestart();
      const after = await rec.waitFor((s) => !s.instances.some((x) => x.id === i.id), 60_000);
      expect(after.version).toBeGreaterThan(before.version);
      expect(await reg.listOwned(OWNER)).toEqual([]);
      // The registrator re-registers; the same watch sees it.
      await waitUntil(() => reg.register(i).then(() => true), 30_000);
      const t0 = performance.now();
      await rec.waitFor((s) => has(s, i.id, "passing"), 10_000);
      console.log(`[consul] after restart, re-registration seen by the same watch in ${(performance.now() - t0).toFixed(1)} ms`);
      expect(await reg.listOwned(OWNER)).toStrictEqual([i]);
      await reg.deregister(i);
    } finally {
      await rec.stop();
    }
  });
});

function has(s: CatalogSnapshot, id: string, health: string): boolean {
  return s.instances.some((x) => x.id === id && x.health === health);
}

async function consulGet<T>(path: string): Promise<T> {
  const res = await fetch(`http://${TESTBED.consul.host}:${TESTBED.consul.port}${path}`);
  if (!res.ok) throw new Error(`GET ${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

function percentile(values: number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
}

async function waitUntil(probe: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const ok = await probe().catch(() => false);
    if (ok) return;
    if (Date.now() > end) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Consumes a watch in the background and lets a test wait for a snapshot matching a predicate. */
class SnapshotRecorder {
  readonly all: CatalogSnapshot[] = [];
  private readonly ctl = new AbortController();
  private readonly done: Promise<void>;
  private notify: (() => void) | undefined;
  private next = 0;

  constructor(watch: (signal: AbortSignal) => AsyncIterable<CatalogSnapshot>) {
    const source = watch(this.ctl.signal);
    this.done = (async () => {
      for await (const s of source) {
        this.all.push(s);
        this.notify?.();
      }
    })();
  }

  /** The first snapshot not consumed by an earlier waitFor that satisfies `pred`. */
  async waitFor(pred: (s: CatalogSnapshot) => boolean, timeoutMs: number): Promise<CatalogSnapshot> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      while (this.next < this.all.length) {
        const s = this.all[this.next++]!;
        if (pred(s)) return s;
      }
      const left = end - Date.now();
      if (left <= 0) throw new Error(`no matching snapshot within ${timeoutMs} ms (last version ${this.all.at(-1)?.version})`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, left);
        this.notify = () => {
          clearTimeout(t);
          r();
        };
      });
    }
  }

  /** Aborts the watch; resolves when its iterator has ended (it must end on abort). */
  async stop(): Promise<void> {
    this.ctl.abort();
    await this.done;
  }
}
