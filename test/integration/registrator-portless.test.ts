// Port-less containers as users run them (`docker run -d -l SERVICE_NAME=x busybox sleep 1d`), through the built
// CLI against the test bed's dockerd: Consul holds Port 0 at the container IP, the DNS shim answers A and NODATA for
// SRV (dig), Curator's own reader reads `port: null`, nerve nodes keep `"port": null`, the catalog shows the bare
// address; SERVICE_PORT registers an unpublished port (also with --net=host); a bad SERVICE_PORT is one line naming container and label.
import { afterAll, describe, expect, it } from "vitest";
import type { Registry } from "../../src/core/registry.js";
import { BACKENDS, open } from "./backends.js";
import { runCli, startCli, stopCli } from "./cli.js";
import { dig, shim } from "./dns-support.js";
import { eventually, removeTestContainers, startTestContainer } from "./docker.js";
import { registratorCases } from "./registrator-cleanup.js";
import { TESTBED } from "./testbed.js";
import { curatorReader, rawClient } from "./zookeeper-support.js";
import { getChildren, getData } from "../../adapters/zookeeper/ops.js";

const owner = `portless-${process.pid}`;
const svc = (s: string) => `pl${process.pid}${s}`;
const consul = BACKENDS.find((b) => b.name === "consul")!;
const CONSUL = `http://${TESTBED.consul.host}:${TESTBED.consul.port}`;
const bed = registratorCases(owner);

async function registry(uri: string): Promise<Registry> {
  const r = await open({ name: "x", uri });
  bed.registries.push(r);
  return r;
}
afterAll(removeTestContainers);

async function containerIp(c: { inspect(): Promise<{ NetworkSettings: { Networks: Record<string, { IPAddress: string }> } }> }): Promise<string> {
  return (await c.inspect()).NetworkSettings.Networks.bridge!.IPAddress;
}

describe("port-less containers, real dockerd", () => {
  it("0_consul: Port 0 at the container IP; dig A answers it, SRV is NODATA; catalog shows the address; SERVICE_PORT=0 refused alone", async () => {
    const reg = await registry(consul.uri);
    const proc = (bed.proc = startCli(["registrator", "--hostname", owner, "--resync", "0", "--log-format", "json", consul.uri]));
    const worker = await startTestContainer({ name: `${owner}-w`, labels: { SERVICE_NAME: svc("w") } });
    const pinned = await startTestContainer({ name: `${owner}-p`, labels: { SERVICE_NAME: svc("p"), SERVICE_PORT: "9000" } });
    await startTestContainer({ name: `${owner}-bad`, labels: { SERVICE_NAME: svc("bad"), SERVICE_PORT: "0" } });
    await startTestContainer({ name: `${owner}-h`, network: "host", labels: { SERVICE_NAME: svc("h"), SERVICE_PORT: "9100" } });
    const [wIp, pIp] = [await containerIp(worker), await containerIp(pinned)];
    const wId = `${owner}:${owner}-w`;
    const pId = `${owner}:${owner}-p:9000`;
    await eventually("all three registered", async () => (await reg.listOwned(owner)).length === 3, 20_000);
    const agent = async (id: string) => (await (await fetch(`${CONSUL}/v1/agent/service/${encodeURIComponent(id)}`)).json()) as { Address: string; Port: number };
    expect(await agent(wId)).toMatchObject({ Address: wIp, Port: 0 });
    expect(await agent(pId)).toMatchObject({ Address: pIp, Port: 9000 });
    expect((await reg.listOwned(owner)).map((i) => [i.id, i.address, i.port])).toEqual([
      [`${owner}:${owner}-h:9100`, "127.0.0.1", 9100],
      [pId, pIp, 9000],
      [wId, wIp, null],
    ]);

    await eventually("the refusal", () => proc.logs().includes(`container ${owner}-bad: SERVICE_PORT:`), 10_000);
    expect(proc.logs().split("\n").filter((l) => l.includes(`${owner}-bad`))).toHaveLength(1);

    const dns = await shim(reg);
    try {
      const name = `${svc("w")}.service.consul`;
      await eventually("the shim sees it", async () => (await dig(dns.port, name, "A")).answer.length === 1, 10_000);
      expect((await dig(dns.port, name, "A")).answer).toEqual([`${name}. 0 IN A ${wIp}`]);
      const srv = await dig(dns.port, name, "SRV");
      expect([srv.status, srv.answer, srv.authority.map((r) => r.split(" ")[3])]).toEqual(["NOERROR", [], ["SOA"]]);
      expect((await dig(dns.port, `${svc("p")}.service.consul`, "SRV")).answer).toEqual([`${svc("p")}.service.consul. 0 IN SRV 1 1 9000 ${hexIp(pIp)}.addr.dc1.consul.`]);
    } finally {
      await dns.close();
    }

    const cat = runCli(["catalog", "service", svc("w"), "--registry", consul.uri]);
    expect(cat.code, cat.stderr).toBe(0);
    expect(cat.stdout).toMatch(new RegExp(`${wId}\\s+${wIp.replace(/\./g, "\\.")}\\s+passing`));
    const json = runCli(["catalog", "service", svc("w"), "--json", "--registry", consul.uri]);
    expect(JSON.stringify(JSON.parse(json.stdout))).toContain(`"address":"${wIp}","port":null`);

    await worker.stop();
    await eventually("deregistered on stop", async () => (await reg.listOwned(owner)).length === 2, 15_000);
  }, 60_000);

  it("1_zookeeper: Curator's reader gets port null; nerve keeps the port key as null", async () => {
    const base = `/portolan-it-portless-${process.pid}`;
    const curator = await registry(`zk://${TESTBED.zkStandalone}${base}-c?format=curator`);
    const nerve = await registry(`zk://${TESTBED.zkStandalone}${base}-n?format=nerve`);
    const worker = await startTestContainer({ name: `${owner}-zw`, labels: { SERVICE_NAME: "worker" } });
    const ip = await containerIp(worker);
    const runs = [`zk://${TESTBED.zkStandalone}${base}-c?format=curator`, `zk://${TESTBED.zkStandalone}${base}-n?format=nerve`].map((uri) =>
      startCli(["registrator", "--hostname", owner, "--resync", "0", "--log-format", "json", uri]),
    );
    try {
      for (const r of [curator, nerve]) await eventually("registered", async () => (await r.listOwned(owner)).length === 1, 20_000);
      const [read] = curatorReader()("query", TESTBED.zkStandalone, `${base}-c`, "worker");
      expect(JSON.parse(read!)).toMatchObject({ name: "worker", id: `${owner}:${owner}-zw`, address: ip, port: null, sslPort: null });
      const raw = await rawClient(TESTBED.zkStandalone);
      try {
        const [child] = await getChildren(raw, `${base}-n/worker/services`);
        const doc = JSON.parse((await getData(raw, `${base}-n/worker/services/${child}`)).data.toString()) as Record<string, unknown>;
        expect([doc.host, "port" in doc, doc.port]).toEqual([ip, true, null]);
      } finally {
        raw.close();
      }
    } finally {
      await Promise.all(runs.map(stopCli));
    }
  }, 90_000);
});

function hexIp(ip: string): string {
  return ip.split(".").map((o) => Number(o).toString(16).padStart(2, "0")).join("");
}
