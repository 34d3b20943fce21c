// etcd under faults on the real test bed: the 3-member cluster's leader SIGKILLed during churn, quorum lost and
// regained, and the registrator's lease lost behind its back (revoked, as an expiry would).
import { afterEach, describe, expect, it } from "vitest";
import { EtcdRegistry } from "../../adapters/etcd/index.js";
import type { Instance } from "../../src/core/model.js";
import type { Registry } from "../../src/core/registry.js";
import { httpDockerPort } from "../../src/docker/client.js";
import type { RegistratorEvent } from "../../src/registrator/events.js";
import { Registrator } from "../../src/registrator/registrator.js";
import { open, registratorOptions } from "./backends.js";
import { eventually, removeTestContainers, startTestContainer } from "./docker.js";
import { etcdLeader, etcdStart, etcdStop, httpCall, TESTBED } from "./testbed.js";

const owner = `efault-${process.pid}`;
const clusterUri = (tag: string) => `etcd://${TESTBED.etcdCluster.join(",")}/portolan-it-faults-${tag}-${process.pid}`;

describe("etcd under faults", () => {
  let r: Registrator | undefined;
  const opened: Registry[] = [];
  const events: RegistratorEvent[] = [];

  afterEach(async () => {
    await r?.stop({ deregisterAll: true }).catch(() => {});
    r = undefined;
    for (const reg of opened.splice(0)) await reg.close();
    events.length = 0;
    await removeTestContainers();
  });

  const openUri = async (uri: string) => {
    const reg = await open({ name: "etcd", uri });
    opened.push(reg);
    return reg;
  };
  const mine = async (reg: Registry) => (await reg.listOwned(owner)).filter((i) => i.id.startsWith(`${owner}:${owner}-`)).map((i) => i.id).sort();
  const registrator = (reg: Registry) => {
    r = new Registrator(httpDockerPort(), reg, registratorOptions(owner), (e) => events.push(e));
    return r;
  };

  it("0_leader SIGKILLed during churn: the registrator converges, nothing lost or dangling; a watcher sees the same", async () => {
    const uri = clusterUri("leader");
    const reg = await openUri(uri);
    const reader = await openUri(uri);
    let latest: Instance[] = [];
    const stop = new AbortController();
    void (async () => {
      for await (const s of reader.watch(stop.signal)) latest = s.instances;
    })();
    const N = 12;
    const first = await Promise.all(Array.from({ length: N }, (_, k) => startTestContainer({ name: `${owner}-c${k}`, ports: ["80/tcp"], env: { SERVICE_NAME: `lk${k}` } })));
    await registrator(reg).start();
    expect(await mine(reg)).toHaveLength(N);
    const leader = etcdLeader();
    const churn = Promise.all([
      ...first.slice(0, N / 2).map((c) => c.remove({ force: true })),
      ...Array.from({ length: N / 2 }, (_, k) => startTestContainer({ name: `${owner}-n${k}`, ports: ["80/tcp"], env: { SERVICE_NAME: `lkn${k}` } })),
    ]);
    await new Promise((res) => setTimeout(res, 100));
    etcdStop(leader, "KILL");
    try {
      await churn;
      const want = [...Array.from({ length: N / 2 }, (_, k) => `${owner}:${owner}-c${k + N / 2}:80`), ...Array.from({ length: N / 2 }, (_, k) => `${owner}:${owner}-n${k}:80`)].sort();
      await eventually("registrator converged after the leader's death", async () => JSON.stringify(await mine(reg)) === JSON.stringify(want), 60_000, 200);
      await eventually("the watcher sees the same", () => JSON.stringify(latest.filter((i) => i.owner === owner).map((i) => i.id).sort()) === JSON.stringify(want), 30_000, 100);
      expect(etcdLeader()).not.toBe(leader);
    } finally {
      stop.abort();
      etcdStart(leader);
    }
  });

  it("1_quorum lost: backend errors, then the registration lands when quorum returns", async () => {
    const reg = await openUri(clusterUri("quorum"));
    await registrator(reg).start();
    const leader = etcdLeader();
    const others = ([1, 2, 3] as const).filter((m) => m !== leader);
    for (const m of others) etcdStop(m);
    try {
      await startTestContainer({ name: `${owner}-q`, ports: ["80/tcp"], env: { SERVICE_NAME: "quorum" } });
      await eventually("backend errors seen", () => events.some((e) => e.type === "backend-error"), 60_000, 200);
    } finally {
      for (const m of others) etcdStart(m);
    }
    await eventually("registered once quorum is back", async () => (await mine(reg)).includes(`${owner}:${owner}-q:80`), 90_000, 250);
  });

  it("2_the lease lost behind the registry's back: every entry is written again on a new lease", async () => {
    const [host, port] = TESTBED.etcd.split(":");
    const reg = new EtcdRegistry({ endpoints: [{ host: host!, port: Number(port) }], prefix: `/portolan-it-lease-${process.pid}`, leaseTtlS: 3 });
    opened.push(reg);
    const inst = (k: number): Instance => ({ id: `${owner}:${owner}-l${k}:80`, name: `lease${k}`, address: "127.0.0.1", port: 9000 + k, protocol: "tcp", tags: [], meta: {}, checks: [], health: "passing", owner });
    for (let k = 0; k < 3; k++) await reg.register(inst(k));
    const lease = reg.leases.held!;
    const revoked = await httpCall({ host: host!, port: Number(port), path: "/v3/lease/revoke", method: "POST", body: JSON.stringify({ ID: lease }) });
    expect(revoked.status).toBe(200);
    expect(await mine(reg)).toEqual([]);
    const t0 = Date.now();
    await eventually("written again", async () => (await mine(reg)).length === 3, 10_000, 100);
    expect(Date.now() - t0).toBeLessThan(3_000 / 3 + 2_000);
    expect(reg.leases.held).not.toBe(lease);
    expect(reg.leases.grants).toBe(2);
    // Exactly as registered, on the new lease (no etcd.lease marker).
    expect((await reg.listOwned(owner)).sort((a, b) => (a.id < b.id ? -1 : 1))).toEqual([0, 1, 2].map(inst));
  });
});
