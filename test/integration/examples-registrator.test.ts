// Runs examples/registrator-* exactly as a user would, against the test bed, and checks what they print.
import { execFile } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { assertBuilt, CLI } from "./cli.js";
import { TESTBED } from "./testbed.js";

/** Runs the script without blocking the test worker (vitest's RPC must keep flowing); rejects with its output. */
function runExample(name: string, env: Record<string, string>): Promise<string> {
  assertBuilt();
  const script = new URL(`../../examples/${name}/run.sh`, import.meta.url).pathname;
  const opts = {
    cwd: mkdtempSync(join(tmpdir(), `portolan-${name}-`)),
    env: { ...process.env, IMAGE: TESTBED.busyboxImage, PORTOLAN: `${process.execPath} ${CLI}`, ...env },
    encoding: "utf8" as const,
    timeout: 170_000,
  };
  return new Promise((resolve, reject) => {
    execFile("bash", [script], opts, (err, stdout, stderr) => (err ? reject(new Error(`${name} failed: ${err.message}\n${stdout}\n${stderr}`)) : resolve(stdout)));
  });
}

describe("examples", () => {
  it("0_registrator-consul", async () => {
    const out = await runExample("registrator-consul", { CONSUL: `${TESTBED.consul.host}:${TESTBED.consul.port}` });
    expect(out).toMatch(/redis instances:\n {2}example-consul:redis-a:6379 127\.0\.0\.1:\d+ \[primary\]\n {2}example-consul:redis-b:6379 127\.0\.0\.1:\d+ \[replica\]/);
    expect(out).toContain("web meta version: 1.4.2");
    expect(out).toMatch(/web checks: .*tcp/);
    expect(out).toContain("web instances: 1");
    expect(out).toContain('refused: container web-bad port 80/tcp: SERVICE_ID: service ID "other-host:web-a:80" names another owner');
    expect(out).toContain("after stopping redis-b: example-consul:redis-a:6379");
    expect(out).toContain("after portolan exits (--deregister-on-exit): 0 redis instances");
  }, 180_000);

  it("1_registrator-zookeeper", async () => {
    const out = await runExample("registrator-zookeeper", { ZK: TESTBED.zkStandalone });
    expect(out).toContain("curator: /example/curator/api/example-zk:api-1:8080");
    expect(out).toMatch(/\{"name":"api","id":"example-zk:api-1:8080","address":"127\.0\.0\.1","port":\d+,"sslPort":null,"payload":null,"registrationTimeUTC":…,"serviceType":"DYNAMIC","uriSpec":null\}/);
    expect(out).toMatch(/nerve: \/example\/nerve\/api\/services\/example-zk:api-N:NNNN_N{10}/);
    expect(out).toMatch(/\{"host":"127\.0\.0\.1","port":\d+,"name":"example-zk:api-1:8080"/);
    expect(out).toContain("protected ACL: digest,example:x : cdrwa world,anyone : r");
    expect(out).toContain("delete without the credential: refused");
    expect(out).toContain("after docker stop: curator [], nerve [], protected []");
  }, 180_000);

  it("2_registrator-eureka", async () => {
    const out = await runExample("registrator-eureka", { EUREKA: TESTBED.eureka.single });
    expect(out).toMatch(/app ORDERS:\n {2}example-eureka:orders-1:8080 UP 127\.0\.0\.1:\d+ vip=orders lease=5s\/15s\n/);
    expect(out).toContain('  metadata: zone=a portolan_owner=example-eureka portolan_tags=["v2"]');
    expect(out).toContain("renewed: yes");
    expect(out).toMatch(/portolan catalog:\nID +ADDRESS +HEALTH +HOST +CONTAINER +TAGS\nexample-eureka:orders-1:8080 +127\.0\.0\.1:PORT +passing +example-eureka +orders-1 [0-9a-f]{12} +v2\n/);
    expect(out).toContain("after docker stop: gone");
  }, 180_000);

  it("3_registrator-etcd", async () => {
    const out = await runExample("registrator-etcd", { ETCD: TESTBED.etcd, COREDNS: `127.0.0.1:${TESTBED.coreDnsPort}` });
    expect(out).toContain("/skydns/consul/service/api/example-etcd_3aetcd-api-1_3a8080\n");
    expect(out).toContain('{"host":"127.0.0.1","port":PORT,"ttl":10,"weight":5,"portolan":{"id":"example-etcd:etcd-api-1:8080","name":"api","owner":"example-etcd"');
    expect(out).toContain("CoreDNS SRV: 10 100 PORT example-etcd_3aetcd-api-1_3a8080.api.service.consul.\n");
    expect(out).toContain("CoreDNS A: 127.0.0.1\n");
    expect(out).toContain("registrator SIGKILLed: 1 key(s) left\nafter the lease ran out: 0 key(s) left");
  }, 180_000);

  it("4_registrator-workers", async () => {
    const out = await runExample("registrator-workers", { CONSUL: `${TESTBED.consul.host}:${TESTBED.consul.port}` });
    const worker = /worker \(container IP ([\d.]+)\):\n {2}example-workers:ex-worker (\S+) port 0 \[queue\]/.exec(out);
    expect(worker?.[2], out).toBe(worker?.[1]);
    const metrics = /metrics \(container IP ([\d.]+)\):\n {2}example-workers:ex-metrics:9100 (\S+) port 9100 \[\]/.exec(out);
    expect(metrics?.[2], out).toBe(metrics?.[1]);
    const api = /api \(ex-front ([\d.]+), ex-back ([\d.]+)\):\n {2}example-workers:ex-api:8080@ex-back (\S+) port 8080 \[ex-back\] network=ex-back\n {2}example-workers:ex-api:8080@ex-front (\S+) port 8080 \[ex-front\] network=ex-front/.exec(out);
    expect([api?.[3], api?.[4]], out).toEqual([api?.[2], api?.[1]]);
    expect(api?.[1]).not.toBe(api?.[2]);
    expect(out).toContain("refused: container ex-bad: SERVICE_PORT: port 0 is no port");
    expect(out).toContain("after portolan exits (--deregister-on-exit): 0 api entries");
  }, 180_000);
});
