// The ZooKeeper adapter under hostile conditions, on a dedicated server of the test's own (the shared test bed is
// not touched): ZooKeeper dead when the registrator starts, and ZooKeeper killed in the middle of a burst of writes.
import { afterEach, describe, expect, it } from "vitest";
import type { Instance } from "../../src/core/model.js";
import { httpDockerPort } from "../../src/docker/client.js";
import type { RegistratorEvent } from "../../src/registrator/events.js";
import { Registrator } from "../../src/registrator/registrator.js";
import { ZooKeeperRegistry } from "../../adapters/zookeeper/index.js";
import { getChildren, getData, ownerHex } from "../../adapters/zookeeper/ops.js";
import { registratorOptions } from "./backends.js";
import { eventually, removeTestContainers, startTestContainer } from "./docker.js";
import { OwnZooKeeper } from "./zookeeper-own-server.js";
import { capturingLogger, instance, rawClient } from "./zookeeper-support.js";

describe("ZooKeeper hostile cases (own server)", () => {
  let zk: OwnZooKeeper | undefined;
  let reg: ZooKeeperRegistry | undefined;
  let r: Registrator | undefined;

  afterEach(async () => {
    await r?.stop({ deregisterAll: false });
    await reg?.close();
    await zk?.destroy();
    await removeTestContainers();
    [r, reg, zk] = [undefined, undefined, undefined];
  });

  it("0_dead at start: the registrator retries and registers soon after ZooKeeper starts", async () => {
    const owner = `zkdead-${process.pid}`;
    zk = await OwnZooKeeper.create();
    const { logger } = capturingLogger();
    reg = new ZooKeeperRegistry({ connect: zk.address, format: "curator", sessionTimeoutMs: 4_000, logger });
    await startTestContainer({ name: `${owner}-web`, ports: ["80/tcp"], env: { SERVICE_NAME: "web" } });
    const events: RegistratorEvent[] = [];
    r = new Registrator(httpDockerPort(), reg, registratorOptions(owner), (e) => events.push(e));
    const started = r.start();
    await eventually("backend errors while ZooKeeper is down", () => events.filter((e) => e.type === "backend-error").length >= 2, 20_000, 50);
    // Let the registrator's backoff grow as in a real outage (after 3 s of fast failures its next step is at most ~3 s).
    await new Promise((res) => setTimeout(res, 3_000));
    await zk.start();
    const t0 = Date.now();
    await started;
    await eventually("registered once ZooKeeper serves", async () => (await reg!.listOwned(owner)).some((i) => i.name === "web"), 30_000, 100);
    const ms = Date.now() - t0;
    console.log(`[zookeeper dead at start] registered ${ms} ms after the server served`);
    expect(ms).toBeLessThan(10_000);
  });

  it.each(["curator", "nerve"] as const)("1_killed mid-burst (%s), restarted with its data: every entry ends up once, held by the live session", async (format) => {
    zk = await OwnZooKeeper.start();
    const { logger } = capturingLogger();
    reg = new ZooKeeperRegistry({ connect: zk.address, format, chroot: "/burst", sessionTimeoutMs: 6_000, operationTimeoutMs: 3_000, logger });
    // 3,000 writes to one service, the server killed from the 50th acknowledgement itself: on a loaded machine a
    // poll saw a whole burst of 600 done before the kill (CI). Nerve lists the service's directory before each
    // create; listings are shared, else the burst's retries read 3,000 x 3,000 names and never finish in time.
    const all: Instance[] = Array.from({ length: 3_000 }, (_, i) => instance("web", `web-${i}`, 80));
    const pending = new Set(all);
    let killed: Promise<void> | undefined;
    const attempt = async () => {
      await Promise.all(
        [...pending].map(async (i) => {
          try {
            await reg!.register(i);
            pending.delete(i);
            if (!killed && all.length - pending.size >= 50) killed = zk!.stop();
          } catch {
            // Retried by the next round, as the registrator would.
          }
        }),
      );
    };
    await attempt();
    await killed;
    // The kill really cut the burst (else this proves nothing).
    expect(pending.size).toBeGreaterThan(0);
    console.log(`[zookeeper killed mid-burst ${format}] ${pending.size} of ${all.length} writes failed`);
    await zk.start();
    await eventually("every entry registered after the restart", async () => {
      await attempt();
      return pending.size === 0;
    }, 60_000, 200);
    const raw = await rawClient(zk.address);
    try {
      const dir = format === "curator" ? "/burst/web" : "/burst/web/services";
      await eventually("one node per entry, held by the live session", async () => {
        const children = await getChildren(raw, dir);
        if (children.length !== all.length) return false;
        const owners = await Promise.all(children.map(async (ch) => ownerHex((await getData(raw, `${dir}/${ch}`)).stat)));
        return owners.every((o) => o === reg!.sessionId());
      }, 20_000, 200);
      const owned = await reg.listOwned("host1");
      expect(owned).toHaveLength(all.length);
      expect(owned.filter((i) => Object.keys(i.meta).some((k) => k.startsWith("zookeeper.")))).toEqual([]);
    } finally {
      raw.close();
    }
  });

  it("2_down longer than the session timeout, restarted with its data: the new session's nodes outlive the old session's expiry", async () => {
    zk = await OwnZooKeeper.start();
    const { logger, lines } = capturingLogger();
    reg = new ZooKeeperRegistry({ connect: zk.address, format: "curator", chroot: "/outage", sessionTimeoutMs: 3_000, logger });
    const all = Array.from({ length: 20 }, (_, i) => instance("web", `web-${i}`, 80));
    for (const i of all) await reg.register(i);
    const old = reg.sessionId();
    await zk.stop();
    await new Promise((res) => setTimeout(res, 4_000));
    // The restarted server restores the old session and expires it only a session timeout later.
    await zk.start();
    const raw = await rawClient(zk.address);
    const heldByNewSession = async () => {
      const session = reg!.sessionId();
      const children = await getChildren(raw, "/outage/web");
      if (session === "" || session === old || children.length !== all.length) return false;
      const owners = await Promise.all(children.map(async (ch) => ownerHex((await getData(raw, `/outage/web/${ch}`)).stat)));
      return owners.every((o) => o === session);
    };
    try {
      await eventually("every entry held by the new session", heldByNewSession, 15_000, 100);
      // Past the old session's expiry on the server: nothing of ours went with it.
      await new Promise((res) => setTimeout(res, 4_000));
      expect(await heldByNewSession()).toBe(true);
      expect(lines.some((l) => String(l.msg).includes("longer than the session timeout"))).toBe(true);
    } finally {
      raw.close();
    }
  });
});
