// The ZooKeeper adapter under faults, against the real test bed: the ensemble leader killed (same session
// must carry on), a forced session expiry (every ephemeral re-created under the new session), and a connection
// that goes silent without closing (dropped and re-opened on the same session).
import { execFileSync } from "node:child_process";
import { connect, createServer, type Server, type Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CatalogSnapshot } from "../../src/core/model.js";
import { ZooKeeperRegistry } from "../../adapters/zookeeper/index.js";
import type { Client } from "../../adapters/zookeeper/ops.js";
import { exists, getChildren, getData, ownerHex } from "../../adapters/zookeeper/ops.js";
import { TESTBED } from "./testbed.js";
import { capturingLogger, instance, nextMatching, rawClient, removeTree, uniqueBase } from "./zookeeper-support.js";
import { until as waitUntil } from "../support/until.js";

const testbed = (...args: string[]) => execFileSync("bash", [TESTBED.script, ...args], { encoding: "utf8" }).trim();
const ids = (s: CatalogSnapshot) => s.instances.map((i) => i.id).sort();

const until = (what: string, probe: () => Promise<boolean> | boolean, ms = 30_000) => waitUntil(what, probe, ms, 100);

/** Path of the node holding instance `id` of `name`, in either layout (undefined if absent). */
async function nodePath(c: Client, format: "curator" | "nerve", base: string, name: string, id: string): Promise<string | undefined> {
  const dir = format === "curator" ? `${base}/${name}` : `${base}/${name}/services`;
  if (!(await exists(c, dir))) return undefined;
  const child = (await getChildren(c, dir)).find((ch) => (format === "curator" ? ch === id : ch.startsWith(`${id}_`)));
  return child === undefined ? undefined : `${dir}/${child}`;
}

describe("ensemble leader killed", () => {
  const base = uniqueBase("leader");
  let stopped: string | undefined;
  let reg: ZooKeeperRegistry | undefined;

  afterAll(async () => {
    if (stopped) testbed("zk-start", stopped);
    await reg?.close();
    const c = await rawClient(TESTBED.zkEnsemble.join(","));
    await removeTree(c, base);
    c.close();
  });

  it("0_registrations stay, new ones succeed after re-election, on the same session; watch carries on", async () => {
    const { logger, lines } = capturingLogger();
    reg = new ZooKeeperRegistry({
      connect: TESTBED.zkEnsemble.join(","), format: "curator", chroot: base, sessionTimeoutMs: 30_000, operationTimeoutMs: 45_000, logger,
    });
    const a = instance("web", "web-1", 80);
    const b = instance("web", "web-2", 81);
    await reg.register(a);
    const session = reg.sessionId();
    const ac = new AbortController();
    const it = reg.watch(ac.signal)[Symbol.asyncIterator]();
    expect(ids(await nextMatching(it, () => true))).toEqual([a.id]);

    const leader = testbed("zk-leader");
    expect(leader).toMatch(/^[123]$/);
    testbed("zk-stop", leader);
    stopped = leader;
    const t0 = Date.now();
    await reg.register(b);
    console.log(`[zookeeper] register during leader loss completed after ${Date.now() - t0} ms`);
    expect(reg.sessionId()).toBe(session);
    expect(testbed("zk-leader")).not.toBe(leader);
    // The connection really dropped (followers drop clients while electing) and came back on the same session.
    expect(lines.some((l) => String(l.msg).includes("connection lost"))).toBe(true);
    expect(lines.some((l) => String(l.msg).includes("session expired"))).toBe(false);

    const survivors = TESTBED.zkEnsemble.filter((_, i) => String(i + 1) !== leader).join(",");
    const c = await rawClient(survivors);
    try {
      for (const i of [a, b]) {
        const node = await getData(c, `${base}/web/${i.id}`);
        expect(ownerHex(node.stat)).toBe(session);
      }
    } finally {
      c.close();
    }
    expect(ids(await nextMatching(it, (s) => s.instances.length === 2, 30_000))).toEqual([a.id, b.id]);
    expect(await reg.listOwned("host1")).toEqual([a, b]);
    ac.abort();
  });
});

/**
 * Expires `reg`'s session: a second client on the same session id and password, then closed, closes it. Both
 * clients reconnecting to take the session from each other can swallow the close: tried again then. Resolves with
 * the new session's id.
 */
async function expireSession(reg: ZooKeeperRegistry, connect: string, lines: Record<string, unknown>[]): Promise<string> {
  const old = reg.sessionId();
  const creds = reg.sessionCredentials()!;
  const renewed = () => reg.sessionId() !== "" && reg.sessionId() !== old;
  for (let attempt = 0; attempt < 3 && !renewed(); attempt++) {
    // The session may already be gone (a previous attempt did expire it): that is the goal, not a failure.
    const clone = await rawClient(connect, { sessionId: creds.id, sessionPassword: creds.password, sessionTimeout: 4_000 }).catch(() => undefined);
    clone?.close();
    await until("a new session", renewed, 10_000).catch(() => undefined);
  }
  if (!renewed()) throw new Error(`session not renewed; adapter log:\n${lines.map((l) => JSON.stringify(l)).join("\n")}`);
  return reg.sessionId();
}

describe.each(["curator", "nerve"] as const)("session expiry (%s)", (format) => {
  const ZK = TESTBED.zkStandalone;
  const base = uniqueBase(`expiry-${format}`);
  let raw: Client;
  let reg: ZooKeeperRegistry;
  const captured = capturingLogger();

  beforeAll(async () => {
    raw = await rawClient(ZK);
    reg = new ZooKeeperRegistry({ connect: ZK, format, chroot: base, sessionTimeoutMs: 4_000, logger: captured.logger });
  });
  afterAll(async () => {
    await reg.close();
    await removeTree(raw, base);
    raw.close();
  });

  it("0_every owned ephemeral is re-created under the new session; held-back ones stay absent; watch re-arms", async () => {
    const a = instance("web", "web-1", 80);
    const b = instance("api", "api-1", 81);
    const held = instance("web", "web-3", 83, { health: "critical" });
    for (const i of [a, b, held]) await reg.register(i);
    const ac = new AbortController();
    const it = reg.watch(ac.signal)[Symbol.asyncIterator]();
    expect(ids(await nextMatching(it, () => true))).toEqual([b.id, a.id].sort());

    const t0 = Date.now();
    const now = await expireSession(reg, ZK, captured.lines);
    for (const i of [a, b]) {
      await until(`${i.id} re-created`, async () => {
        const path = await nodePath(raw, format, base, i.name, i.id);
        return path !== undefined && ownerHex((await getData(raw, path)).stat) === now;
      });
    }
    console.log(`[zookeeper ${format}] session expired -> entries re-created under the new session in ${Date.now() - t0} ms`);
    expect(await nodePath(raw, format, base, held.name, held.id)).toBeUndefined();
    expect(await reg.listOwned("host1")).toEqual(expect.arrayContaining([a, b, held]));
    expect(await reg.listOwned("host1")).toHaveLength(3);

    const d = instance("web", "web-4", 84);
    await reg.register(d);
    expect(ids(await nextMatching(it, (s) => ids(s).includes(d.id)))).toEqual([a.id, b.id, d.id].sort());
    await reg.deregister(a);
    expect(ids(await nextMatching(it, (s) => !ids(s).includes(a.id)))).toEqual([b.id, d.id].sort());
    ac.abort();
  });
});

describe("session expiry on the ensemble with a host's 100 entries", () => {
  const ZK = TESTBED.zkEnsemble.join(",");
  const base = uniqueBase("expiry-100");
  const N = 100;
  let raw: Client;
  let reg: ZooKeeperRegistry;
  const captured = capturingLogger();

  beforeAll(async () => {
    raw = await rawClient(ZK);
    reg = new ZooKeeperRegistry({ connect: ZK, format: "curator", chroot: base, sessionTimeoutMs: 4_000, operationTimeoutMs: 30_000, logger: captured.logger });
  });
  afterAll(async () => {
    await reg.close();
    await removeTree(raw, base);
    raw.close();
  });

  it("0_every entry is re-created under the new session (a bounded number at a time); the time is printed", async () => {
    const all = Array.from({ length: N }, (_, k) => instance(`svc${k % 10}`, `c${k}`, 10_000 + k));
    for (const i of all) await reg.register(i);
    const now = await expireSession(reg, ZK, captured.lines);
    const renewedAt = Date.now();
    await until("the restore logged", () => captured.lines.some((l) => l.msg === "zookeeper entries re-created under the new session"), 60_000);
    const doneAt = Date.now();
    for (let s = 0; s < 10; s++) {
      const children = (await getChildren(raw, `${base}/svc${s}`)).sort();
      expect(children).toEqual(all.filter((i) => i.name === `svc${s}`).map((i) => i.id).sort());
      for (const c of children) expect(ownerHex((await getData(raw, `${base}/svc${s}/${c}`)).stat)).toBe(now);
    }
    console.log(`[zookeeper ensemble] session renewed -> ${N} entries re-created in ${doneAt - renewedAt} ms`);
  }, 120_000);
});

/**
 * A loopback TCP proxy in front of `target`. silence() makes every connection open at that moment stop passing the
 * server's bytes to the client while staying open (a server gone without a reset, or one that drops every request);
 * connections made later pass everything.
 */
async function silenceableProxy(target: string): Promise<{ connect: string; silence: () => void; close: () => Promise<void> }> {
  const [host, port] = [target.slice(0, target.lastIndexOf(":")), Number(target.slice(target.lastIndexOf(":") + 1))];
  const open = new Map<Socket, { silent: boolean }>();
  const server: Server = createServer((client) => {
    const state = { silent: false };
    const upstream = connect({ host, port });
    open.set(client, state);
    client.on("data", (b) => upstream.write(b));
    upstream.on("data", (b) => state.silent || client.write(b));
    const end = () => {
      open.delete(client);
      client.destroy();
      upstream.destroy();
    };
    for (const s of [client, upstream]) s.on("close", end).on("error", end);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    connect: `127.0.0.1:${(server.address() as { port: number }).port}`,
    silence: () => {
      for (const state of open.values()) state.silent = true;
    },
    close: async () => {
      for (const c of open.keys()) c.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

describe("a connection that goes silent without closing", () => {
  const base = uniqueBase("silent");
  let proxy: Awaited<ReturnType<typeof silenceableProxy>>;
  let reg: ZooKeeperRegistry | undefined;
  afterAll(async () => {
    await reg?.close();
    await proxy?.close();
    const c = await rawClient(TESTBED.zkStandalone);
    await removeTree(c, base);
    c.close();
  });

  it("0_is dropped after two thirds of the session timeout and re-opened on the same session; writes go on", async () => {
    proxy = await silenceableProxy(TESTBED.zkStandalone);
    const { logger, lines } = capturingLogger();
    reg = new ZooKeeperRegistry({ connect: proxy.connect, format: "curator", chroot: base, sessionTimeoutMs: 6_000, logger });
    const a = instance("web", "web-1", 80);
    const b = instance("web", "web-2", 81);
    await reg.register(a);
    const session = reg.sessionId();
    proxy.silence();
    const t0 = Date.now();
    // Sent on the silent connection: its answer never arrives there; it succeeds once the connection is re-opened.
    await reg.register(b).catch((e: unknown) => {
      throw new Error(`register on the silent connection failed (${String(e)}); adapter log:\n${lines.map((l) => JSON.stringify(l)).join("\n")}`);
    });
    const ms = Date.now() - t0;
    console.log(`[zookeeper] silent connection: register answered after ${ms} ms`);
    expect(lines.some((l) => String(l.msg).includes("silent for two thirds of the session timeout"))).toBe(true);
    expect(ms).toBeGreaterThanOrEqual(3_500);
    expect(reg.sessionId()).toBe(session);
    const c = await rawClient(TESTBED.zkStandalone);
    try {
      for (const i of [a, b]) expect(ownerHex((await getData(c, `${base}/web/${i.id}`)).stat)).toBe(session);
    } finally {
      c.close();
    }
  });
});
