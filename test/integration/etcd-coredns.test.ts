// A real CoreDNS (built by the test bed, its etcd plugin pointed at the test bed's single etcd node, zone
// service.consul, path /skydns) answers SRV and A from the keys a real `portolan registrator` wrote for a real
// container, and stops answering once the registrator is SIGKILLed and its lease has run out.
import { afterEach, describe, expect, it } from "vitest";
import { startCli, type Running } from "./cli.js";
import { eventually, publishedPort, removeTestContainers, startTestContainer } from "./docker.js";
import { dig } from "./dns-support.js";
import { TESTBED } from "./testbed.js";

const OWNER = `cdns-${process.pid}`;
const LEASE_S = 4;
/** portolan dns beside CoreDNS (the test bed's range for etcd and CoreDNS). */
const SHIM_PORT = 23854;

let proc: Running | undefined;
afterEach(async () => {
  if (proc && proc.proc.exitCode === null) proc.proc.kill("SIGKILL");
  proc = undefined;
  await removeTestContainers();
});

describe("CoreDNS's etcd plugin reads what portolan registered", () => {
  it("0_SRV and A for a container; gone within the lease TTL after the registrator is SIGKILLed", async () => {
    const svc = `cdns${process.pid}`;
    const c = await startTestContainer({ name: `${OWNER}-web`, ports: ["80/tcp"], env: { SERVICE_NAME: svc, SERVICE_WEIGHT: "1", SERVICE_TAGS: "blue" } });
    const c3 = await startTestContainer({ name: `${OWNER}-web3`, ports: ["80/tcp"], env: { SERVICE_NAME: svc, SERVICE_WEIGHT: "3" } });
    const [port, port3] = [await publishedPort(c, "80/tcp"), await publishedPort(c3, "80/tcp")];
    proc = startCli(["registrator", "--hostname", OWNER, "--log-format", "json", `etcd://${TESTBED.etcd}?lease=${LEASE_S}s&ttl=3s`]);

    const srv = await eventually("CoreDNS answers SRV", async () => {
      const r = await dig(TESTBED.coreDnsPort, `${svc}.service.consul`, "SRV");
      return r.status === "NOERROR" && r.answer.length === 2 ? r : undefined;
    }, 20_000, 200);
    // name TTL IN SRV priority weight port target. CoreDNS serves the explicit ttl, its default priority 10 (none is
    // written), and the SERVICE_WEIGHTs scaled to 100 within the priority: 1 and 3 -> 25 and 75.
    const records = srv.answer.map((l) => l.split(" ")).sort((x, y) => Number(x[5]) - Number(y[5]));
    expect(records.map(([name, ttl, , type, priority, weight, p]) => [name, Number(ttl), type, Number(priority), Number(weight), Number(p)])).toEqual([
      [`${svc}.service.consul.`, 3, "SRV", 10, 25, port],
      [`${svc}.service.consul.`, 3, "SRV", 10, 75, port3],
    ]);
    // Each target's address is in the additional section and answers a question of its own (A).
    for (const r of records) {
      const target = r[7]!;
      expect(target).toMatch(new RegExp(`\\.${svc}\\.service\\.consul\\.$`));
      expect(srv.additional).toContain(`${target} 3 IN A 127.0.0.1`);
      expect((await dig(TESTBED.coreDnsPort, target, "A")).answer).toEqual([`${target} 3 IN A 127.0.0.1`]);
    }
    // Both publish on 127.0.0.1: one address, one A record.
    const a = await dig(TESTBED.coreDnsPort, `${svc}.service.consul`, "A");
    expect(a.answer).toEqual([`${svc}.service.consul. 3 IN A 127.0.0.1`]);

    proc.proc.kill("SIGKILL");
    await proc.exited;
    const killedAt = Date.now();
    // Nobody deleted the key: it is still answered right after the kill, then dropped by etcd with the lease.
    expect((await dig(TESTBED.coreDnsPort, `${svc}.service.consul`, "SRV")).answer).toHaveLength(2);
    await eventually("CoreDNS no longer answers", async () => (await dig(TESTBED.coreDnsPort, `${svc}.service.consul`, "SRV")).status === "NXDOMAIN", 20_000, 200);
    const goneAfter = Date.now() - killedAt;
    expect(goneAfter).toBeLessThanOrEqual(LEASE_S * 1000 + 2_500);
    expect((await dig(TESTBED.coreDnsPort, `${svc}.service.consul`, "A")).status).toBe("NXDOMAIN");
  });

  it("1_portolan dns over etcd:// answers the same name CoreDNS answers, on the same port", async () => {
    const svc = `cdnsb${process.pid}`;
    const c = await startTestContainer({ name: `${OWNER}-both`, ports: ["80/tcp"], env: { SERVICE_NAME: svc } });
    const port = await publishedPort(c, "80/tcp");
    const uri = `etcd://${TESTBED.etcd}?lease=${LEASE_S}s`;
    proc = startCli(["registrator", "--hostname", OWNER, "--log-format", "json", uri]);
    const dns = startCli(["dns", "--registry", uri, "--listen", `127.0.0.1:${SHIM_PORT}`, "--log-format", "json"]);
    try {
      const srvPort = async (dnsPort: number, name: string) => (await dig(dnsPort, name, "SRV")).answer.map((l) => Number(l.split(" ")[6]));
      await eventually("CoreDNS answers", async () => (await srvPort(TESTBED.coreDnsPort, `${svc}.service.consul`))[0] === port, 20_000, 200);
      await eventually("portolan dns answers", async () => (await srvPort(SHIM_PORT, `${svc}.service.consul`))[0] === port, 20_000, 200);
      expect((await dig(SHIM_PORT, `${svc}.service.consul`, "A")).answer.map((l) => l.split(" ").at(-1))).toEqual(["127.0.0.1"]);
      // Stopped container: the registrator deletes its key; both stop answering.
      await c.remove({ force: true });
      await eventually("both forget it", async () => (await dig(TESTBED.coreDnsPort, `${svc}.service.consul`, "SRV")).status === "NXDOMAIN" && (await dig(SHIM_PORT, `${svc}.service.consul`, "SRV")).status === "NXDOMAIN", 20_000, 200);
    } finally {
      dns.proc.kill("SIGTERM");
      expect((await dns.exited).code, dns.logs()).toBe(0);
    }
  });
});
