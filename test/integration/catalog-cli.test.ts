// `portolan catalog` against real backends (Consul, ZooKeeper in both formats, Eureka), with containers registered by a
// real `portolan registrator` process: table, --json, filters, `service NAME`, --watch, unknown service.
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { runCli, startCli, type Running } from "./cli.js";
import { eventually, removeTestContainers, startTestContainer } from "./docker.js";
import { stopProcess } from "./catalog-support.js";
import { TESTBED } from "./testbed.js";

// What each backend's format keeps (Curator's JSON has no tags; neither ZooKeeper format names the container).
const BACKENDS = [
  { name: "consul", uri: `consul://${TESTBED.consul.host}:${TESTBED.consul.port}`, tags: true, container: true },
  { name: "zk-curator", uri: `zk://${TESTBED.zkStandalone}/portolan-cat-${process.pid}?format=curator`, tags: false, container: false },
  { name: "zk-nerve", uri: `zk://${TESTBED.zkStandalone}/portolan-cat-nerve-${process.pid}?format=nerve`, tags: true, container: false },
  { name: "eureka", uri: `eureka://${TESTBED.eureka.single}/eureka?poll=1s`, tags: true, container: true },
  { name: "etcd", uri: `etcd://${TESTBED.etcd}/portolan-cat-${process.pid}`, tags: true, container: true },
];

describe.each(BACKENDS)("portolan catalog --registry $name", (b) => {
  const owner = `cat-cli-${b.name}-${process.pid}`;
  const svc = `catcli${process.pid}`;
  let registrator: Running | undefined;
  let watch: Running | undefined;

  afterEach(async () => {
    await stopProcess(watch);
    await removeTestContainers();
  });
  afterAll(async () => {
    if (registrator) {
      registrator.proc.kill("SIGTERM");
      await registrator.exited;
    }
  });

  const catalog = (...args: string[]) => runCli(["catalog", ...args, "--registry", b.uri, "--timeout", "20s"]);

  it("0_table, --json, filters and service NAME show containers the registrator registered", async () => {
    registrator = startCli(["registrator", "--hostname", owner, "--resync", "0", "--retry-interval", "100", "--deregister-on-exit", "--log-format", "json", b.uri]);
    await startTestContainer({ name: `${owner}-a`, ports: ["80/tcp"], env: { SERVICE_NAME: svc, SERVICE_TAGS: "blue" } });
    await startTestContainer({ name: `${owner}-b`, ports: ["80/tcp"], env: { SERVICE_NAME: svc, SERVICE_TAGS: "green" } });
    await eventually("both registered and passing", () => {
      const r = catalog("service", svc, "--json");
      return r.code === 0 && (JSON.parse(r.stdout) as { service: { passing: number } }).service.passing === 2; // Consul: once health is written
    }, 30_000, 250);

    // The registrator registers every container on this dockerd (other tests' too): look for ours.
    const table = catalog("--host", owner);
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toMatch(/^SERVICE +PASSING +INSTANCES +TAGS\n/);
    expect(table.stdout).toMatch(new RegExp(`^${svc} +2 +2${b.tags ? " +blue,green" : ""}$`, "m"));
    const json = JSON.parse(catalog("--json", "--host", owner).stdout) as { services: { name: string }[] };
    expect(json.services.find((s) => s.name === svc)).toEqual({ name: svc, instances: 2, passing: 2, warning: 0, critical: 0, tags: b.tags ? ["blue", "green"] : [], hosts: [owner] });

    const inst = b.tags ? catalog("service", svc, "--tag", "green") : catalog("service", svc, "--host", owner);
    expect(inst.code, inst.stderr).toBe(0);
    const lines = inst.stdout.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^ID +ADDRESS +HEALTH +HOST +CONTAINER +TAGS$/);
    expect(lines.slice(1)).toHaveLength(b.tags ? 1 : 2);
    const container = b.container ? `${owner}-b [0-9a-f]{12}` : "-";
    expect(lines.at(-1)).toMatch(new RegExp(`^${owner}:${owner}-b:80 +127\\.0\\.0\\.1:\\d+ +passing +${owner} +${container}${b.tags ? " +green" : ""}$`));
    expect(catalog("--host", owner, "--health", "critical").stdout).not.toContain(svc);

    const missing = catalog("service", `${svc}x`);
    expect([missing.code, missing.stdout]).toEqual([66, ""]);
    expect(missing.stderr).toContain(`${svc}x`);
    const bad = catalog("--health", "sick");
    expect([bad.code, bad.stdout]).toEqual([64, ""]);
  });

  it("1_--watch --json prints a new document when a container stops", async () => {
    const c = await startTestContainer({ name: `${owner}-w`, ports: ["80/tcp"], env: { SERVICE_NAME: `${svc}w` } });
    watch = startCli(["catalog", "--watch", "--json", "--host", owner, "--registry", b.uri]);
    const docs = () => watch!.logs().split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l) as { services: { name: string }[] });
    await eventually("watch shows the container", () => docs().some((d) => d.services.some((s) => s.name === `${svc}w`)), 30_000);
    await c.stop();
    await eventually("watch drops the container", () => {
      const last = docs().at(-1);
      return last !== undefined && !last.services.some((s) => s.name === `${svc}w`);
    }, 30_000);
  });
});
