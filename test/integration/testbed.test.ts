// The real test bed works: containers publish reachable ports on 127.0.0.1, ZooKeeper has exactly one
// leader (and the fault helpers move it), Consul answers (and loses state on restart), etcd's members serve and
// CoreDNS answers its zone.
import { execFileSync } from "node:child_process";
import Docker from "dockerode";
import { describe, expect, it } from "vitest";
import {
  TESTBED,
  consulRestart,
  dockerRestart,
  etcdLeader,
  etcdSecureFiles,
  etcdStart,
  etcdStop,
  httpCall,
  zkFourLetter,
  zkLeader,
  zkMemberAddress,
  zkMode,
  zkStart,
  zkStop,
  type ZkMember,
} from "./testbed.js";

const docker = new Docker({ socketPath: TESTBED.dockerSocket });
const consul = (method: string, path: string, body?: string) => httpCall({ ...TESTBED.consul, method, path, body });

async function ensembleModes(): Promise<(string | undefined)[]> {
  return Promise.all(TESTBED.zkEnsemble.map(async (a) => zkMode(await zkFourLetter(a, "srvr").catch(() => ""))));
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function runPublished(image: string, cmd: string[], containerPort: number): Promise<{ id: string; port: number }> {
  const c = await docker.createContainer({
    Image: image,
    Cmd: cmd,
    Labels: { "portolan-test": "testbed" },
    ExposedPorts: { [`${containerPort}/tcp`]: {} },
    HostConfig: { AutoRemove: false, PortBindings: { [`${containerPort}/tcp`]: [{ HostIp: "127.0.0.1", HostPort: "" }] } },
  });
  await c.start();
  const info = await c.inspect();
  const binding = info.NetworkSettings.Ports[`${containerPort}/tcp`]?.[0];
  expect(binding?.HostIp).toBe("127.0.0.1");
  return { id: c.id, port: Number(binding?.HostPort) };
}

describe("docker", () => {
  const cases = [
    {
      name: "busybox_httpd",
      image: TESTBED.busyboxImage,
      cmd: ["sh", "-c", "mkdir -p /www && echo hello-from-busybox >/www/index.html && exec httpd -f -p 80 -h /www"],
      expected: "hello-from-busybox\n",
    },
    {
      name: "node_http",
      image: TESTBED.nodeImage,
      cmd: ["node", "-e", "require('http').createServer((q, s) => s.end('hello-from-node ' + process.version)).listen(80)"],
      expected: `hello-from-node ${process.version}`,
    },
  ];
  cases.forEach((c, i) => {
    it(`${i}_${c.name}_published_on_127.0.0.1_is_reachable`, async () => {
      const { id, port } = await runPublished(c.image, c.cmd, 80);
      try {
        expect(port).toBeGreaterThan(0);
        const body = await waitFor("container http", async () => {
          const r = await httpCall({ host: "127.0.0.1", port, path: "/index.html" });
          return r.status === 200 ? r.body : undefined;
        });
        expect(body).toBe(c.expected);
      } finally {
        await docker.getContainer(id).remove({ force: true });
      }
    });
  });

  it("2_docker_restart_brings_the_daemon_back", async () => {
    const before = (await docker.info()) as { ID: string };
    dockerRestart();
    // Node's global agent keeps sockets alive: a pooled one to the old daemon fails with EPIPE on
    // first use, so these checks go over fresh connections.
    const ping = await httpCall({ socketPath: TESTBED.dockerSocket, path: "/_ping" });
    expect(ping.body).toBe("OK");
    const after = JSON.parse((await httpCall({ socketPath: TESTBED.dockerSocket, path: "/info" })).body) as { ID: string };
    expect(after.ID).toBe(before.ID);
    const out = execFileSync("docker", ["run", "--rm", TESTBED.busyboxImage, "echo", "after-restart"], { encoding: "utf8" });
    expect(out.trim()).toBe("after-restart");
  });
});

describe("zookeeper", () => {
  it("0_standalone_serves", async () => {
    expect(zkMode(await zkFourLetter(TESTBED.zkStandalone, "srvr"))).toBe("standalone");
    expect(await zkFourLetter(TESTBED.zkStandalone, "ruok")).toBe("imok");
  });

  it("1_ensemble_has_exactly_one_leader", async () => {
    const modes = await ensembleModes();
    expect(modes.filter((m) => m === "leader")).toHaveLength(1);
    expect(modes.filter((m) => m === "follower")).toHaveLength(2);
    expect(modes[zkLeader() - 1]).toBe("leader");
  });

  it("2_stopping_the_leader_elects_another", async () => {
    const old = zkLeader();
    zkStop(old);
    try {
      await expect(zkFourLetter(zkMemberAddress(old), "ruok")).rejects.toThrow();
      const next = await waitFor("new leader", async () => {
        const modes = await ensembleModes();
        const i = modes.indexOf("leader");
        return i >= 0 ? ((i + 1) as ZkMember) : undefined;
      });
      expect(next).not.toBe(old);
      expect(zkLeader()).toBe(next);
    } finally {
      zkStart(old);
    }
    const modes = await ensembleModes();
    expect(modes.filter((m) => m === "leader")).toHaveLength(1);
    expect(modes.filter((m) => m === "follower")).toHaveLength(2);
  });
});

describe("consul", () => {
  it("0_dev_agent_is_leader_and_loses_state_on_restart", async () => {
    const leader = await consul("GET", "/v1/status/leader");
    expect(JSON.parse(leader.body)).toBe("127.0.0.1:18300");
    const key = `portolan-testbed/${process.pid}`;
    expect(JSON.parse((await consul("PUT", `/v1/kv/${key}`, "v")).body)).toBe(true);
    expect((await consul("GET", `/v1/kv/${key}`)).status).toBe(200);
    consulRestart();
    expect(JSON.parse((await consul("GET", "/v1/status/leader")).body)).toBe("127.0.0.1:18300");
    expect((await consul("GET", `/v1/kv/${key}`)).status).toBe(404);
  });
});

describe("etcd and CoreDNS", () => {
  const post = (address: string, path: string, body: unknown) => {
    const [host, port] = address.split(":");
    return httpCall({ host: host!, port: Number(port), path, method: "POST", body: JSON.stringify(body) });
  };

  it("0_the single node and every cluster member answer the v3 JSON gateway", async () => {
    for (const a of [TESTBED.etcd, ...TESTBED.etcdCluster]) {
      const r = await post(a, "/v3/maintenance/status", {});
      expect(r.status, a).toBe(200);
      expect((JSON.parse(r.body) as { leader?: string }).leader, a).not.toBe("0");
    }
  });

  it("1_the cluster has one leader, and another after it is stopped", () => {
    const first = etcdLeader();
    etcdStop(first);
    try {
      expect(etcdLeader()).not.toBe(first);
    } finally {
      etcdStart(first);
    }
  });

  it("2_the secured node's credentials and CoreDNS's zone are in place", async () => {
    const f = etcdSecureFiles();
    expect(f.passwords.portolan.length).toBeGreaterThanOrEqual(16);
    const answer = execFileSync("dig", ["+time=2", "+tries=1", "-p", String(TESTBED.coreDnsPort), "@127.0.0.1", "portolan-testbed-nothing.service.consul", "A"], { encoding: "utf8" });
    expect(answer).toMatch(/status: NXDOMAIN/);
  });
});
