// The ZooKeeper adapter against the real standalone server of the test bed, read back with a raw client
// and with Apache Curator's own ServiceDiscovery (Debian libcurator-discovery-java).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BackendUnavailableError, InstanceRejectedError } from "../../src/core/errors.js";
import type { CatalogSnapshot, Instance } from "../../src/core/model.js";
import { encodeCurator, encodeNerve } from "../../adapters/zookeeper/codec.js";
import { META_EPHEMERAL_OWNER, ZnodeNameError, ZooKeeperRegistry } from "../../adapters/zookeeper/index.js";
import type { Client } from "../../adapters/zookeeper/ops.js";
import { CreateMode, create, exists, getChildren, getData, ownerHex } from "../../adapters/zookeeper/ops.js";
import { TESTBED } from "./testbed.js";
import { capturingLogger, curatorReader, instance, nextMatching, rawClient, removeTree, uniqueBase } from "./zookeeper-support.js";

const ZK = TESTBED.zkStandalone;
let raw: Client;
const registries: ZooKeeperRegistry[] = [];
const bases: string[] = [];

function open(format: "curator" | "nerve", opts: Partial<ConstructorParameters<typeof ZooKeeperRegistry>[0]> = {}) {
  const chroot = opts.chroot ?? uniqueBase(format);
  bases.push(chroot);
  const r = new ZooKeeperRegistry({ connect: ZK, format, chroot, sessionTimeoutMs: 10_000, ...opts });
  registries.push(r);
  return r;
}

beforeAll(async () => {
  raw = await rawClient(ZK);
});

afterAll(async () => {
  for (const r of registries) await r.close();
  for (const b of bases) await removeTree(raw, b);
  raw.close();
});

describe("curator format", () => {
  it("0_writes <base>/<name>/<id> ephemeral, byte-exact Curator JSON, parent without data", async () => {
    const r = open("curator");
    const base = bases.at(-1)!;
    const web = instance("web", "web-1", 80);
    const before = Date.now();
    await r.register(web);
    const node = await getData(raw, `${base}/web/host1:web-1:80`);
    const time = (JSON.parse(node.data.toString()) as { registrationTimeUTC: number }).registrationTimeUTC;
    expect(time).toBeGreaterThanOrEqual(before);
    expect(time).toBeLessThanOrEqual(Date.now());
    expect(node.data.toString()).toBe(encodeCurator(web, time, "none"));
    expect(node.data.toString()).toContain('"payload":null');
    expect(ownerHex(node.stat)).toBe(r.sessionId());
    const parent = await getData(raw, `${base}/web`);
    expect(parent.data.length).toBe(0);
    expect(ownerHex(parent.stat)).toBe("0000000000000000");
    expect(await r.listOwned("host1")).toEqual([web]);
  });

  it("1_Curator's ServiceDiscovery.queryForInstances reads exactly what we wrote", async () => {
    const r = open("curator");
    const base = bases.at(-1)!;
    const a = instance("billing", "billing-1", 81);
    const b = instance("billing", "billing-2", 82, { protocol: "udp", id: "host1:billing-2:82:udp" });
    await r.register(a);
    await r.register(b);
    const java = curatorReader();
    const ours = await Promise.all([a, b].map(async (i) => (await getData(raw, `${base}/billing/${i.id}`)).data.toString()));
    // Curator parses each node into a ServiceInstance and serialises it back: identical bytes prove a faithful read.
    expect(java("query", ZK, base, "billing").sort()).toEqual(ours.sort());
    // And Curator itself writes the same bytes for the same instance.
    const time = (JSON.parse(ours[0]!) as { registrationTimeUTC: number }).registrationTimeUTC;
    expect(java("serialize", "billing", a.id, a.address, String(a.port), String(time))).toEqual([ours[0]]);
  });

  it("2_same instance again: no write (node version unchanged); changed port: data rewritten in place", async () => {
    const r = open("curator");
    const path = `${bases.at(-1)!}/web/host1:web-1:80`;
    const web = instance("web", "web-1", 80);
    await r.register(web);
    const v0 = (await getData(raw, path)).stat;
    await r.register(structuredClone(web));
    const v1 = (await getData(raw, path)).stat;
    expect(v1.version).toBe(v0.version);
    expect(v1.mzxid.equals(v0.mzxid)).toBe(true);
    await r.register({ ...web, port: 31999 });
    const v2 = await getData(raw, path);
    expect(v2.stat.version).toBe(v0.version + 1);
    expect(v2.stat.czxid.equals(v0.czxid)).toBe(true);
    expect((JSON.parse(v2.data.toString()) as { port: number }).port).toBe(31999);
  });

  it("3_a node of another session: replaced when it names our owner, never touched when it does not", async () => {
    const r = open("curator");
    const base = bases.at(-1)!;
    const other = await rawClient(ZK);
    try {
      await create(other, `${base}`, Buffer.alloc(0), CreateMode.PERSISTENT);
      await create(other, `${base}/web`, Buffer.alloc(0), CreateMode.PERSISTENT);
      // Our previous run's node (its ID names owner host1): replaced under our session.
      const web = instance("web", "web-1", 80);
      await create(other, `${base}/web/host1:web-1:80`, Buffer.from(encodeCurator(web, 1, "none")), CreateMode.EPHEMERAL);
      await r.register(web);
      const node = await getData(raw, `${base}/web/host1:web-1:80`);
      expect(ownerHex(node.stat)).toBe(r.sessionId());
      expect(node.data.toString()).toMatch(/^\{"name":"web","id":"host1:web-1:80"/);
      // A node whose owner cannot be read (or is another owner): refused, left as it is.
      await create(other, `${base}/web/host1:web-2:80`, Buffer.from("stale"), CreateMode.EPHEMERAL);
      await expect(r.register(instance("web", "web-2", 80))).rejects.toBeInstanceOf(InstanceRejectedError);
      const kept = await getData(raw, `${base}/web/host1:web-2:80`);
      expect(kept.data.toString()).toBe("stale");
      expect(ownerHex(kept.stat)).not.toBe(r.sessionId());
    } finally {
      other.close();
    }
  });

  it("4_spring payload carries tags and meta; listOwned of a fresh process recovers them", async () => {
    const r = open("curator", { payload: "spring" });
    const base = bases.at(-1)!;
    const web = instance("web", "web-1", 80, { tags: ["a", "b,c"], meta: { zone: "z", version: "3" } });
    await r.register(web);
    const doc = JSON.parse((await getData(raw, `${base}/web/${web.id}`)).data.toString()) as { payload: Record<string, unknown> };
    expect(doc.payload["@class"]).toBe("org.springframework.cloud.zookeeper.discovery.ZookeeperInstance");
    expect(doc.payload.metadata).toMatchObject({ zone: "z", version: "3", "portolan.tags": '["a","b,c"]' });
    // A Java reader without the payload class fails on the whole service (why payload is null by default) ...
    let failure: { stderr?: string } | undefined;
    try {
      curatorReader()("query", ZK, base, "web");
    } catch (e) {
      failure = e as { stderr?: string };
    }
    expect(String(failure?.stderr)).toContain("org.springframework.cloud.zookeeper.discovery.ZookeeperInstance");
    // ... and one with it reads our payload back byte for byte.
    const ours = (await getData(raw, `${base}/web/${web.id}`)).data.toString();
    expect(curatorReader({ spring: true })("query", ZK, base, "web")).toEqual([ours]);
    const later = open("curator", { chroot: base, payload: "spring" });
    const [got] = await later.listOwned("host1");
    expect(got).toMatchObject({ id: web.id, tags: ["a", "b,c"], meta: { zone: "z", version: "3" }, owner: "host1" });
  });

  it("5_same id under a new service name replaces the old entry", async () => {
    const r = open("curator");
    const base = bases.at(-1)!;
    const web = instance("web", "web-1", 80);
    await r.register(web);
    await r.register({ ...web, name: "www" });
    expect(await exists(raw, `${base}/web/${web.id}`)).toBeNull();
    expect(await exists(raw, `${base}/www/${web.id}`)).not.toBeNull();
    expect(await r.listOwned("host1")).toEqual([{ ...web, name: "www" }]);
  });
});

describe("nerve format", () => {
  it("0_ephemeral-sequential <base>/<name>/services/<id>_N, nerve JSON, parents without data", async () => {
    const r = open("nerve");
    const base = bases.at(-1)!;
    const web = instance("web", "web-1", 80);
    await r.register(web);
    const children = await getChildren(raw, `${base}/web/services`);
    expect(children).toHaveLength(1);
    expect(children[0]).toMatch(/^host1:web-1:80_\d{10}$/);
    const node = await getData(raw, `${base}/web/services/${children[0]}`);
    expect(node.data.toString()).toBe(encodeNerve(web));
    expect(ownerHex(node.stat)).toBe(r.sessionId());
    for (const p of [base, `${base}/web`, `${base}/web/services`]) expect((await getData(raw, p)).data.length).toBe(0);
    expect(await r.listOwned("host1")).toEqual([web]);
  });

  it("1_re-register keeps one child (updated in place); deregister removes it", async () => {
    const r = open("nerve");
    const dir = `${bases.at(-1)!}/web/services`;
    const web = instance("web", "web-1", 80);
    await r.register(web);
    const [first] = await getChildren(raw, dir);
    await r.register({ ...web, port: 31234 });
    expect(await getChildren(raw, dir)).toEqual([first]);
    expect((JSON.parse((await getData(raw, `${dir}/${first}`)).data.toString()) as { port: number }).port).toBe(31234);
    await r.deregister(web);
    expect(await getChildren(raw, dir)).toEqual([]);
    expect(await r.listOwned("host1")).toEqual([]);
  });
});

describe.each(["curator", "nerve"] as const)("health (%s)", (format) => {
  it("0_non-passing entries are absent from ZooKeeper but still listed as owned", async () => {
    const r = open(format);
    const base = bases.at(-1)!;
    const dir = format === "curator" ? `${base}/web` : `${base}/web/services`;
    const count = async () => (await exists(raw, dir)) ? (await getChildren(raw, dir)).length : 0;
    const web = instance("web", "web-1", 80, { health: "critical" });
    await r.register(web);
    expect(await count()).toBe(0);
    expect(await r.listOwned("host1")).toEqual([web]);
    await r.setHealth(web, "passing", "ok");
    expect(await count()).toBe(1);
    expect(await r.listOwned("host1")).toEqual([{ ...web, health: "passing" }]);
    await r.setHealth(web, "warning", "slow");
    expect(await count()).toBe(0);
    expect(await r.listOwned("host1")).toEqual([{ ...web, health: "warning" }]);
  });
});

describe.each(["curator", "nerve"] as const)("ownership across processes (%s)", (format) => {
  it("0_a previous run's nodes are listed (marked), replaced on register, removable by deregister", async () => {
    const old = open(format);
    const base = bases.at(-1)!;
    const a = instance("web", "web-1", 80);
    const b = instance("web", "web-2", 81);
    const foreign = instance("web", "web-9", 89, { id: "host2:web-9:89", owner: "host2" });
    for (const i of [a, b, foreign]) await old.register(i);
    const now = open(format, { chroot: base });
    const listed = await now.listOwned("host1");
    expect(listed.map((i) => i.id).sort()).toEqual([a.id, b.id]);
    for (const i of listed) {
      expect(i.owner).toBe("host1");
      expect(i.meta[META_EPHEMERAL_OWNER]).toBe(`0x${old.sessionId()}`);
    }
    await now.register(a);
    await now.deregister(b);
    expect(await now.listOwned("host1")).toEqual([a]);
    expect((await old.listOwned("host2")).map((i) => i.id)).toEqual([foreign.id]);
  });
});

describe("validation and availability", () => {
  it("0_an id that cannot be a znode name is refused; nothing written", async () => {
    const r = open("curator");
    await expect(r.register(instance("web", "a/b", 80))).rejects.toBeInstanceOf(ZnodeNameError);
    await expect(r.register(instance("Not_A_Label", "x", 80))).rejects.toBeInstanceOf(InstanceRejectedError);
    expect(await exists(raw, bases.at(-1)!)).toBeNull();
  });

  it("2_nerve weight must be an integer 0-256; curator does not care; nothing written when refused", async () => {
    const nerve = open("nerve");
    for (const weight of ["abc", "-1", "257", "1.5"]) {
      expect(() => nerve.validate(instance("web", "w", 80, { meta: { weight } }))).toThrow(InstanceRejectedError);
    }
    expect(() => nerve.validate(instance("web", "w", 80, { meta: { weight: "10" } }))).not.toThrow();
    await expect(nerve.register(instance("web", "w", 80, { meta: { weight: "abc" } }))).rejects.toBeInstanceOf(InstanceRejectedError);
    expect(await exists(raw, bases.at(-1)!)).toBeNull();
    expect(() => open("curator").validate(instance("web", "w", 80, { meta: { weight: "abc" } }))).not.toThrow();
  });

  it("1_unreachable ensemble: BackendUnavailableError within the bound", async () => {
    const r = open("curator", { connect: "127.0.0.1:1", operationTimeoutMs: 800 });
    const t0 = Date.now();
    await expect(r.register(instance("web", "web-1", 80))).rejects.toBeInstanceOf(BackendUnavailableError);
    await expect(r.listOwned("host1")).rejects.toBeInstanceOf(BackendUnavailableError);
    await expect(r.deregister(instance("web", "web-1", 80))).rejects.toBeInstanceOf(BackendUnavailableError);
    expect(Date.now() - t0).toBeLessThan(5_000);
  });
});

describe("close", () => {
  it("0_close() ends the session: its ephemeral nodes are gone at once, not after the session timeout", async () => {
    const r = open("curator", { sessionTimeoutMs: 30_000 });
    const path = `${bases.at(-1)!}/web/host1:web-1:80`;
    await r.register(instance("web", "web-1", 80));
    expect(await exists(raw, path)).not.toBeNull();
    const t0 = Date.now();
    await r.close();
    while ((await exists(raw, path)) !== null && Date.now() - t0 < 5_000) await new Promise((res) => setTimeout(res, 20));
    expect(await exists(raw, path)).toBeNull();
    expect(Date.now() - t0).toBeLessThan(5_000);
    await expect(r.register(instance("web", "web-2", 81))).rejects.toBeInstanceOf(BackendUnavailableError);
  });
});

describe.each(["curator", "nerve"] as const)("watch (%s)", (format) => {
  it("0_current state first, then adds and removes; unparsable entries skipped with one warn line", async () => {
    const { logger, lines } = capturingLogger();
    const r = open(format, { logger });
    const base = bases.at(-1)!;
    const a = instance("web", "web-1", 80);
    await r.register(a);
    const ac = new AbortController();
    const it = r.watch(ac.signal)[Symbol.asyncIterator]();
    const ids = (s: CatalogSnapshot) => s.instances.map((i) => i.id).sort();
    const first = await nextMatching(it, () => true);
    expect(ids(first)).toEqual([a.id]);
    // The watch adds what only the backend knows: the node's ctime as registeredAt.
    expect(first.instances[0]).toEqual({ ...a, registeredAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) });

    const b = instance("api", "api-1", 81);
    await r.register(b);
    const second = await nextMatching(it, (s) => s.instances.length === 2);
    expect(second.version).toBeGreaterThan(first.version);

    const junkDir = format === "curator" ? `${base}/web` : `${base}/web/services`;
    await create(raw, `${junkDir}/${format === "curator" ? "junk" : "junk_0000000001"}`, Buffer.from("{not json"), CreateMode.PERSISTENT);
    const other = instance("web", "web-7", 87, { id: "host3:web-7:87", owner: "host3" });
    const writer = open(format, { chroot: base });
    await writer.register(other);
    const third = await nextMatching(it, (s) => ids(s).includes(other.id));
    expect(ids(third)).toEqual([b.id, a.id, other.id].sort());
    const warns = lines.filter((l) => l.level === 40 && String(l.path).includes("junk"));
    expect(warns).toHaveLength(1);

    await r.deregister(a);
    const fourth = await nextMatching(it, (s) => !ids(s).includes(a.id));
    expect(ids(fourth)).toEqual([b.id, other.id].sort());
    ac.abort();
    expect((await it.next()).done).toBe(true);
  });

  it("1_a burst of registrations is coalesced", async () => {
    const r = open(format);
    const ac = new AbortController();
    const it = r.watch(ac.signal)[Symbol.asyncIterator]();
    await nextMatching(it, () => true);
    const many: Instance[] = Array.from({ length: 30 }, (_, i) => instance("burst", `b-${i}`, 100 + i));
    await Promise.all(many.map((i) => r.register(i)));
    let seen = 0;
    await nextMatching(it, (s) => (seen++, s.instances.length === 30));
    expect(seen).toBeLessThan(30);
    ac.abort();
  });
});

describe("latency", () => {
  it.each(["curator", "nerve"] as const)("0_register() until visible to another client (%s)", async (format) => {
    const r = open(format);
    const base = bases.at(-1)!;
    await r.register(instance("warm", "w", 1));
    const samples: number[] = [];
    for (let n = 0; n < 100; n++) {
      const i = instance("lat", `c-${n}`, 1000 + n);
      const dir = format === "curator" ? `${base}/lat` : `${base}/lat/services`;
      const t0 = performance.now();
      await r.register(i);
      // Visible to another session: a raw client lists the directory and finds it.
      let seen = false;
      while (!seen) seen = (await getChildren(raw, dir).catch(() => [] as string[])).some((c) => c.startsWith(i.id));
      samples.push(performance.now() - t0);
    }
    // Baseline: the same create + list done directly with a raw client (what ZooKeeper itself costs: fsync per write).
    const baseline: number[] = [];
    await create(raw, `${base}/raw`, Buffer.alloc(0), CreateMode.PERSISTENT);
    for (let n = 0; n < 100; n++) {
      const t0 = performance.now();
      await create(raw, `${base}/raw/n${n}`, Buffer.from(encodeCurator(instance("raw", `r-${n}`, n + 1), 1, "none")), CreateMode.EPHEMERAL);
      await getChildren(raw, `${base}/raw`);
      baseline.push(performance.now() - t0);
    }
    const q = (xs: number[], p: number) => [...xs].sort((x, y) => x - y)[Math.min(xs.length - 1, Math.floor(p * xs.length))]!.toFixed(2);
    const fmt = (xs: number[]) => `p50 ${q(xs, 0.5)} ms, p90 ${q(xs, 0.9)} ms, p99 ${q(xs, 0.99)} ms`;
    console.log(`[zookeeper ${format}] register->visible to another client on loopback, n=100: ${fmt(samples)}; raw create+list baseline: ${fmt(baseline)}`);
    expect(Number(q(samples, 0.5))).toBeLessThan(100);
  });
});
