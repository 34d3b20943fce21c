// A ZooKeeper that lost its data (restarted empty, as after a restore from an old snapshot): its zxid is far
// behind what the clients have seen, and it refuses their reconnects on the old sessions for as long as its zxid
// stays behind. On a dedicated server of the test's own (the shared test bed is not touched), the registry that
// wrote ~2,000 transactions re-registers everything within the session timeout and a few seconds, and readers
// (an in-process watch, `catalog --watch` and `dns` as real processes) show the entries again.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CatalogSnapshot } from "../../src/core/model.js";
import { ZooKeeperRegistry } from "../../adapters/zookeeper/index.js";
import type { Client } from "../../adapters/zookeeper/ops.js";
import { exists, getChildren, getData, ownerHex } from "../../adapters/zookeeper/ops.js";
import { startCli, type Running } from "./cli.js";
import { dig } from "./dns-support.js";
import { OwnZooKeeper, freePort } from "./zookeeper-own-server.js";
import { zkFourLetter } from "./testbed.js";
import { capturingLogger, instance, nextMatching, rawClient } from "./zookeeper-support.js";
import { until } from "../support/until.js";

const SESSION_TIMEOUT_MS = 4_000;
/** What recovery may take beyond the session timeout: a new session, then 20 creates, on a busy machine. */
const GRACE_MS = 6_000;
const KEPT = 20;
const CHURN = 1_000;

const zxid = async (address: string) => /Zxid: (0x[0-9a-f]+)/.exec(await zkFourLetter(address, "srvr"))?.[1] ?? "?";

describe("ZooKeeper restarted without its data", () => {
  let zk: OwnZooKeeper;
  let reg: ZooKeeperRegistry;
  let reader: ZooKeeperRegistry;
  const procs: Running[] = [];
  const captured = capturingLogger();
  const readerLog = capturingLogger();

  beforeAll(async () => {
    zk = await OwnZooKeeper.start();
  });
  afterAll(async () => {
    for (const p of procs) p.proc.kill("SIGKILL");
    await reg?.close();
    await reader?.close();
    await zk?.destroy();
  });

  it("0_the registry re-registers every entry under a new session; readers in and out of process recover", async () => {
    reg = new ZooKeeperRegistry({ connect: zk.address, format: "curator", sessionTimeoutMs: SESSION_TIMEOUT_MS, logger: captured.logger });
    // ~2,000 transactions: the client's last seen zxid ends far ahead of what an empty server will have.
    for (let i = 0; i < CHURN; i += 50) {
      const batch = Array.from({ length: 50 }, (_, j) => instance("churn", `churn-${i + j}`, 80));
      await Promise.all(batch.map((b) => reg.register(b)));
      await Promise.all(batch.map((b) => reg.deregister(b)));
    }
    const kept = Array.from({ length: KEPT }, (_, i) => instance("web", `web-${i}`, 80, { address: `127.0.0.${i + 1}` }));
    for (const k of kept) await reg.register(k);
    const before = await zxid(zk.address);

    reader = new ZooKeeperRegistry({ connect: zk.address, format: "curator", sessionTimeoutMs: SESSION_TIMEOUT_MS, logger: readerLog.logger });
    const ac = new AbortController();
    const it = reader.watch(ac.signal)[Symbol.asyncIterator]();
    const count = (s: CatalogSnapshot) => s.instances.filter((i) => i.name === "web").length;
    expect(count(await nextMatching(it, (s) => count(s) === KEPT))).toBe(KEPT);

    const uri = `zk://${zk.address}/services?sessionTimeout=4s`;
    const catalog = startCli(["catalog", "service", "web", "--watch", "--json", "--registry", uri]);
    const dnsPort = await freePort();
    const dns = startCli(["dns", "--registry", uri, "--listen", `127.0.0.1:${dnsPort}`, "--log-format", "json"]);
    procs.push(catalog, dns);
    /** `catalog --watch` printed a view with `n` instances. */
    const catalogShows = (n: number) => () =>
      catalog.logs().trim().split("\n").some((l) => l.startsWith("{") && (JSON.parse(l) as { instances?: unknown[] }).instances?.length === n);
    await until("catalog --watch to show the entries", catalogShows(KEPT), 20_000, 50);
    await until("dns to answer the entries", async () => (await dig(dnsPort, "web.service.consul", "A", "+tcp")).answer.length === KEPT, 20_000, 200);

    await zk.stop();
    zk.wipe();
    await zk.start();
    const t0 = Date.now();
    console.log(`[zookeeper data loss] zxid before ${before}, after the restart ${await zxid(zk.address)}`);

    const raw: Client = await rawClient(zk.address);
    try {
      await until(
        `all ${KEPT} entries re-created under a new session`,
        async () => {
          const session = reg.sessionId();
          if (session === "" || !(await exists(raw, "/services/web"))) return false;
          const children = await getChildren(raw, "/services/web");
          if (children.length !== KEPT) return false;
          const owners = await Promise.all(children.map(async (ch) => ownerHex((await getData(raw, `/services/web/${ch}`)).stat)));
          return owners.every((o) => o === session);
        },
        SESSION_TIMEOUT_MS + GRACE_MS,
        100,
      );
      const registered = Date.now() - t0;
      // The readers may or may not have seen the tree empty meanwhile; one more entry shows their watches are live
      // on the restarted server (a reader stranded on its old session never sees it).
      const extra = instance("web", "web-extra", 80, { address: "127.0.1.1" });
      await reg.register(extra);
      const seen = await nextMatching(it, (s) => count(s) === KEPT + 1, GRACE_MS).catch((e: unknown) => {
        throw new Error(`in-process watch: ${(e as Error).message}; its log:\n${readerLog.lines.map((l) => JSON.stringify(l)).join("\n")}`);
      });
      expect(count(seen)).toBe(KEPT + 1);
      const watched = Date.now() - t0;
      await until("catalog --watch to show the entries again", catalogShows(KEPT + 1), GRACE_MS, 50);
      await until("dns to answer the entries again", async () => (await dig(dnsPort, "web.service.consul", "A", "+tcp")).answer.length === KEPT + 1, GRACE_MS, 200);
      console.log(`[zookeeper data loss] after the restart: ${KEPT} entries re-registered in ${registered} ms; one more seen by the in-process watch at ${watched} ms, by catalog --watch and dns at ${Date.now() - t0} ms`);
      expect(captured.lines.some((l) => String(l.msg).includes("longer than the session timeout"))).toBe(true);
      // Warnings say what happened in one line each: no stack traces from the readers through the outage.
      for (const p of [dns, catalog]) expect(p.logs()).not.toMatch(/"stack"|\n\s+at /);
      expect(dns.logs()).toContain("longer than the session timeout");
      expect(await reg.listOwned("host1")).toHaveLength(KEPT + 1);
    } finally {
      raw.close();
      ac.abort();
    }
  });
});
