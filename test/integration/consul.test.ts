// The Consul adapter against the real Consul dev agent of the test bed: register/listOwned, setHealth,
// errors and the token, close(). watch() is in consul-watch.test.ts; ACLs and TLS against real agents in consul-secure.test.ts.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConsulRegistry, ConsulRequestError, ConsulValidationError } from "../../adapters/consul/index.js";
import { CountingProxy, type Counts } from "../../bench/counting-proxy.js";
import { BackendUnavailableError, InstanceRejectedError } from "../../src/core/errors.js";
import { createLogger } from "../../src/core/log.js";
import type { Instance } from "../../src/core/model.js";
import { consulGet, makeInstance, percentile, runNames } from "./consul-support.js";
import { TESTBED } from "./testbed.js";

const NAMES = runNames("r");
const OWNER = NAMES.owner;
const TOKEN = NAMES.token;
const inst = (n: string, over: Partial<Instance> = {}) => makeInstance(NAMES, n, over);

let reg: ConsulRegistry;
let web: Server;
let webPort = 0;

beforeAll(async () => {
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
      inst("5", {
        name: `PT${NAMES.run}-Upper`,
        address: "localhost",
        tags: ["b", "a", "b", "", "with space", "ünï"],
        meta: { UPPER: "Ünïcödé ✓", "long-value": "v".repeat(512), ["k".repeat(128)]: "x" },
        container: { id: "", name: "" },
        health: "critical",
      }),
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

  it("1_register_and_setHealth_latency", async () => {
    const timed = async (run: (n: number) => Promise<void>): Promise<number[]> => {
      const times: number[] = [];
      for (let n = 0; n < 100; n++) {
        const t0 = performance.now();
        await run(n);
        times.push(performance.now() - t0);
      }
      return times;
    };
    const one = (n: number) => inst(`L${n}`, { checks: [{ type: "ttl", intervalMs: 60_000 }] });
    const reg1 = await timed((n) => reg.register(one(n)));
    const health = await timed((n) => reg.setHealth(one(n), n % 2 ? "passing" : "warning", `run ${n}`));
    const list = await timed(async () => void (await reg.listOwned(OWNER)));
    const fmt = (t: number[]) => `p50 ${percentile(t, 50).toFixed(2)} ms, p95 ${percentile(t, 95).toFixed(2)} ms`;
    console.log(`[consul] over 100 calls: register() ${fmt(reg1)}; setHealth() (+1 user TTL) ${fmt(health)}; listOwned() of 100 ${fmt(list)}`);
    expect(percentile(reg1, 95)).toBeLessThan(1000);
    expect((await reg.listOwned(OWNER)).filter((i) => i.health === "warning")).toHaveLength(50);
    for (let n = 0; n < 100; n++) await reg.deregister(one(n));
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

describe("the owner read before a write (counted by a proxy in front of the agent)", () => {
  const proxy = new CountingProxy(TESTBED.consul);
  let counted: ConsulRegistry;
  const other = `${OWNER}-other`;
  const writes = (c: Counts) => c.byEndpoint["PUT /v1/agent/service/*"]?.requests ?? 0;
  const ownerReads = (c: Counts) => c.byEndpoint["GET /v1/agent/service/*"]?.requests ?? 0;

  beforeAll(async () => {
    const [host, port] = (await proxy.start()).split(":");
    counted = new ConsulRegistry({ host: host!, port: Number(port), watchWaitMs: 10_000 });
  });
  afterAll(async () => {
    await counted?.close();
    await proxy.stop();
    for (const id of [`${other}:c9:80`, `${OWNER}-shared`]) await reg.deregister({ id, name: "x" });
  });

  it("0_a default ID costs one request (the write); a custom ID still reads the owner first", async () => {
    proxy.take();
    await counted.register(inst("D1"), { defaultId: true });
    const dflt = proxy.take();
    expect([dflt.total.requests, writes(dflt)]).toEqual([1, 1]);
    await counted.register(inst("C1", { id: `${OWNER}-custom-1` }), { defaultId: false });
    await counted.register(inst("C2"));
    const custom = proxy.take();
    expect([custom.total.requests, ownerReads(custom), writes(custom)]).toEqual([4, 2, 2]);
    expect((await reg.listOwned(OWNER)).map((i) => i.id).sort()).toEqual([`${OWNER}-custom-1`, `${OWNER}:cC2:80`, `${OWNER}:cD1:80`].sort());
    for (const i of await reg.listOwned(OWNER)) await reg.deregister(i);
  });

  it("1_an ID another owner holds is refused and left as it is, even when the caller claims it as its default", async () => {
    const theirs = inst("9", { id: `${other}:c9:80`, owner: other, port: 10_999 });
    const shared = inst("8", { id: `${OWNER}-shared`, owner: other, port: 10_998 });
    await reg.register(theirs);
    await reg.register(shared);
    // A custom SERVICE_ID equal to another owner's entry; and another owner's default form passed off as ours.
    for (const [mine, opts] of [
      [inst("8", { id: `${OWNER}-shared` }), { defaultId: false }],
      [inst("9", { id: `${other}:c9:80` }), { defaultId: true }],
    ] as const) {
      proxy.take();
      const e = await counted.register(mine, opts).catch((x: unknown) => x);
      expect(e, mine.id).toBeInstanceOf(InstanceRejectedError);
      expect((e as InstanceRejectedError).key).toBe("id");
      const c = proxy.take();
      expect([ownerReads(c), writes(c)], mine.id).toEqual([1, 0]);
    }
    expect(await reg.listOwned(other)).toStrictEqual([shared, theirs].sort((a, b) => (a.id < b.id ? -1 : 1)));
  });

  it("2_removing_an_ID_under_the_owners_prefix_costs_one_request_and_another_owners_entry_is_left", async () => {
    await reg.register(inst("R1"));
    await reg.register(inst("R2", { id: `${OWNER}-custom-r2` }));
    const theirs = inst("R3", { id: `${other}:cR3:80`, owner: other, port: 10_997 });
    await reg.register(theirs);
    proxy.take();
    await counted.deregister({ id: `${OWNER}:cR1:80`, name: "x", owner: OWNER });
    const dflt = proxy.take();
    expect([dflt.total.requests, ownerReads(dflt)]).toEqual([1, 0]);
    await counted.deregister({ id: `${OWNER}-custom-r2`, name: "x", owner: OWNER });
    await counted.deregister({ id: theirs.id, name: "x", owner: OWNER });
    const guarded = proxy.take();
    expect([guarded.total.requests, ownerReads(guarded)]).toEqual([3, 2]);
    expect(await reg.listOwned(OWNER)).toEqual([]);
    expect((await reg.listOwned(other)).map((i) => i.id)).toContain(theirs.id);
    await reg.deregister({ id: theirs.id, name: "x" });
  });
});

describe("whether writes reached the servers: one catalog read of this node after writes, none idle", () => {
  const proxy = new CountingProxy(TESTBED.consul);
  let counted: ConsulRegistry;
  const owner = `${OWNER}-sync`;
  const nodeReads = (c: Counts) => c.byEndpoint["GET /v1/catalog/node-services/*"]?.requests ?? 0;
  const mine = (n: string) => inst(n, { id: `${owner}:c${n}:80`, owner });

  beforeAll(async () => {
    const [host, port] = (await proxy.start()).split(":");
    counted = new ConsulRegistry({ host: host!, port: Number(port), watchWaitMs: 10_000 });
  });
  afterAll(async () => {
    for (const i of await reg.listOwned(owner).catch(() => [])) await reg.deregister(i);
    await counted?.close();
    await proxy.stop();
  });

  it("0_a_resync_after_writes_compares_with_the_catalog_until_it_agrees_then_costs_only_the_agent_reads", async () => {
    await counted.listOwned(owner);
    expect(nodeReads(proxy.take())).toBe(0);
    await counted.register(mine("1"), { defaultId: true });
    await counted.register(mine("2"), { defaultId: true });
    await counted.deregister({ id: mine("2").id, name: "x", owner });
    proxy.take();
    // The dev agent copies a write to its catalog within milliseconds; a resync that caught it in between rewrites
    // one entry (a PUT) and compares again at the next.
    const rounds: Counts[] = [];
    for (let i = 0; i < 10; i++) {
      expect((await counted.listOwned(owner)).map((x) => x.id)).toEqual([mine("1").id]);
      rounds.push(proxy.take());
      if (nodeReads(rounds[rounds.length - 1]!) === 0) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const last = rounds[rounds.length - 1]!;
    expect(nodeReads(rounds[0]!)).toBe(1);
    expect([nodeReads(last), last.total.requests], JSON.stringify(last.byEndpoint)).toEqual([0, 2]);
    const idle = await counted.listOwned(owner).then(() => proxy.take());
    expect([nodeReads(idle), idle.total.requests]).toEqual([0, 2]);
  });
});

describe("ids with characters Consul's HTTP API does not print", () => {
  // The agent answers 400 to any URL path holding them: the registrator retried such a container for ever.
  const refused = ["a\u200bb", "\u202eevil", "a\u00a0b", "a\u00adb", "\ufeffa", "a\ue000"];
  refused.forEach((id, i) => {
    it(`${i}_${JSON.stringify(id)}_is_refused_before_writing_and_the_agent_indeed_answers_400`, async () => {
      const x = inst(`np${i}`, { id });
      expect(() => reg.validate(x)).toThrow(InstanceRejectedError);
      await expect(reg.register(x)).rejects.toBeInstanceOf(InstanceRejectedError);
      const probe = await fetch(`http://${TESTBED.consul.host}:${TESTBED.consul.port}/v1/agent/service/${encodeURIComponent(id)}`, { headers: { "x-consul-token": TOKEN } });
      expect(probe.status).toBe(400);
    });
  });
  const printable = ["caf\u00e9", "\uff57eb", "\u0130d"];
  printable.forEach((id, i) => {
    it(`${refused.length + i}_${JSON.stringify(id)}_is_printable_and_registers`, async () => {
      const x = inst(`pr${i}`, { id });
      await reg.register(x);
      expect((await reg.listOwned(OWNER)).some((l) => l.id === id)).toBe(true);
      await reg.deregister(x);
      expect((await reg.listOwned(OWNER)).some((l) => l.id === id)).toBe(false);
    });
  });
});

describe("ids that are path segments of their own", () => {
  it("0_are_refused_before_writing_yet_an_existing_entry_is_still_removed", async () => {
    for (const [i, id] of [".", "..", "a/b", "x?y#z"].entries()) {
      const x = inst(`d${i}`, { id });
      expect(() => reg.validate(x), `${i}_${id}`).toThrow(InstanceRejectedError);
      await expect(reg.register(x), `${i}_${id}`).rejects.toBeInstanceOf(InstanceRejectedError);
      // An entry with such an ID written by someone else (an older version, by hand) can still be removed.
      const put = await fetch(`http://${TESTBED.consul.host}:${TESTBED.consul.port}/v1/agent/service/register`, {
        method: "PUT",
        headers: { "x-consul-token": TOKEN },
        body: JSON.stringify({ ID: id, Name: x.name, Port: 1, Meta: { portolan_owner: OWNER } }),
      });
      expect(put.status, `${i}_${id}`).toBe(200);
      expect((await reg.listOwned(OWNER)).some((l) => l.id === id), `${i}_${id}`).toBe(true);
      await reg.deregister(x);
      expect((await reg.listOwned(OWNER)).some((l) => l.id === id), `${i}_${id}`).toBe(false);
    }
  });
});

describe("setHealth", () => {
  it("0_drives_the_docker_health_check_and_heartbeats_user_ttl_checks", async () => {
    const i = inst("7", { health: "warning", checks: [{ type: "ttl", intervalMs: 60_000 }] });
    await reg.register(i);
    type HC = { CheckID: string; Status: string; Output: string };
    const checks = () => consulGet<HC[]>(`/v1/health/checks/${i.name}`);
    // The user TTL check starts with the instance's health (not Consul's default critical).
    expect((await checks()).find((c) => c.CheckID === `portolan:${i.id}:check-0`)?.Status).toBe("warning");

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

describe("errors and the token", () => {
  let fake: Server;
  let fakePort = 0;
  const seenTokens: (string | undefined)[] = [];
  beforeAll(async () => {
    // Answers like a Consul that echoes the request's token back in its error text.
    fake = createServer((req, res) => {
      const token = req.headers["x-consul-token"] as string | undefined;
      seenTokens.push(token);
      const url = req.url ?? "";
      const read = req.method === "GET" && /\/agent\/service\/[^/?]+($|\?)/.test(url); // the owner check before a write: absent
      res.statusCode = url.includes("/agent/service/register") ? 400 : url.includes("/deregister/") ? 429 : read ? (url.includes("read400") ? 400 : 404) : 500;
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
    // A 400 on register is permanent: InstanceRejectedError, with Consul's answer as the cause.
    const e400 = await r.register(inst("10")).catch((e: unknown) => e);
    expect(e400).toBeInstanceOf(InstanceRejectedError);
    expect((e400 as Error).cause).toBeInstanceOf(ConsulRequestError);
    expect(((e400 as Error).cause as ConsulRequestError).consulMessage).toContain("Invalid request");
    // So is a 400 to the owner read before the write (an ID the agent cannot take in a path): never retried.
    const read400 = await r.register(inst("read400")).catch((e: unknown) => e);
    expect(read400).toBeInstanceOf(InstanceRejectedError);
    const e500 = await r.listOwned(OWNER).catch((e: unknown) => e);
    expect(e500).toBeInstanceOf(BackendUnavailableError);
    const e429 = await r.deregister({ id: inst("10").id, name: inst("10").name }).catch((e: unknown) => e);
    expect(e429).toBeInstanceOf(BackendUnavailableError); // rate limited: retry later, not invalid input
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

    for (const e of [e400, e500, e429, refused]) {
      const text = `${String(e)} ${(e as Error).stack ?? ""} ${JSON.stringify(e)} ${String((e as Error).cause)}`;
      expect(text).not.toContain(TOKEN);
    }
  });

  it("2_logs_never_carry_the_token", async () => {
    let out = "";
    const sink = new Writable({ write: (chunk: Buffer, _enc, cb) => ((out += chunk.toString()), cb()) });
    const logger = createLogger({ level: "debug", format: "json", destination: sink });
    // Watch against the echoing fake: every poll fails with the token in Consul's answer, and is logged.
    const r = new ConsulRegistry({ host: "127.0.0.1", port: fakePort, token: TOKEN, logger });
    const ctl = new AbortController();
    const done = (async () => {
      for await (const _ of r.watch(ctl.signal)) break;
    })();
    await new Promise((res) => setTimeout(res, 700));
    ctl.abort();
    await done;
    // And the real agent: register, setHealth, deregister at debug level.
    const ok = new ConsulRegistry({ ...TESTBED.consul, token: TOKEN, logger });
    await ok.register(inst("12"));
    await ok.setHealth(inst("12"), "passing", "fine");
    await ok.deregister(inst("12"));
    await Promise.all([r.close(), ok.close()]);
    expect(out).toMatch(/consul watch: .* failed/);
    expect(out).toContain("[token]"); // the echoed token was there, and was redacted
    expect(out).toContain('"component":"consul"');
    expect(out).not.toContain(TOKEN);
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
