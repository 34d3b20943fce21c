// Eureka as production runs it, on the test bed's Spring Cloud Netflix Eureka servers: a real Java Eureka client
// finds a container a `portolan registrator` process registered (its port and status as Docker health changes),
// basic auth refused at start-up, two peers with failover, and a server restarted empty.
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { runCli, startCli, stopCli, type Running } from "./cli.js";
import { eventually, publishedPort, removeTestContainers, startTestContainer } from "./docker.js";
import { eurekaAddress, eurekaAuthPassword, eurekaInstance, eurekaStart, eurekaStop, javaEurekaFind } from "./eureka-support.js";
import { TESTBED } from "./testbed.js";

const pid = process.pid;
let proc: Running | undefined;

afterEach(async () => {
  await stopCli(proc);
  proc = undefined;
  await removeTestContainers();
});
afterAll(async () => {
  await removeTestContainers();
});

const registrator = (owner: string, uri: string, env: Record<string, string> = {}) =>
  startCli(["registrator", "--hostname", owner, "--resync", "5", "--retry-interval", "100", "--log-format", "json", uri], env);

describe("eureka: the real Java client reads what portolan writes", () => {
  it("0_a Java DiscoveryClient finds a registered container: its port, and its status following Docker health", async () => {
    const owner = `eu-java-${pid}`;
    const name = `eujava${pid}`;
    const c = await startTestContainer({
      name: `${owner}-web`, ports: ["80/tcp"], env: { SERVICE_NAME: name },
      healthcheck: { test: ["CMD", "test", "-f", "/tmp/ok"], intervalMs: 200 },
    });
    const port = await publishedPort(c, "80/tcp");
    proc = registrator(owner, `eureka://${TESTBED.eureka.single}/eureka`);
    const id = `${owner}:${owner}-web:80`;
    await eventually("registered DOWN (unhealthy)", async () => (await eurekaInstance(1, name, id))?.["status"] === "DOWN", 30_000, 100);
    const down = await javaEurekaFind([TESTBED.eureka.single], name, "DOWN");
    expect(down).toEqual([{ id, host: "127.0.0.1", ip: "127.0.0.1", port, status: "DOWN", owner }]);
    const exec = await c.exec({ Cmd: ["touch", "/tmp/ok"] });
    await exec.start({});
    const up = await javaEurekaFind([TESTBED.eureka.single], name, "UP");
    expect(up).toEqual([{ id, host: "127.0.0.1", ip: "127.0.0.1", port, status: "UP", owner }]);
  }, 300_000);
});

describe("eureka: basic auth", () => {
  const uri = `eureka://${TESTBED.eureka.auth}/eureka`;
  it("0_refused credentials are exit 78 at start-up, naming the variables, never the password; right ones are used", async () => {
    const wrong = "wrong-password-9137";
    for (const args of [["registrator", "--hostname", `eu-auth-${pid}`, uri], ["catalog", "--json", "--registry", uri]]) {
      const r = runCli(args, { EUREKA_USERNAME: "portolan", EUREKA_PASSWORD: wrong });
      expect(r.code, r.stderr).toBe(78);
      expect(r.stderr).toContain("EUREKA_PASSWORD");
      expect(r.stderr + r.stdout).not.toContain(wrong);
    }
    const none = runCli(["catalog", "--json", "--registry", uri]);
    expect(none.code, none.stderr).toBe(78);
    const right = runCli(["catalog", "--json", "--registry", uri], { EUREKA_USERNAME: "portolan", EUREKA_PASSWORD: eurekaAuthPassword() });
    expect(right.code, right.stderr).toBe(0);
    expect(right.stderr + right.stdout).not.toContain(eurekaAuthPassword());
  });
});

describe("eureka: servers fail and restart", () => {
  it("0_two peers: a write through one is read from the other; with the first stopped the registrator fails over and keeps its lease, and the first, restarted, gets it back from its peer", async () => {
    const owner = `eu-peer-${pid}`;
    const name = `eupeer${pid}`;
    const pair = TESTBED.eureka.pair;
    await startTestContainer({ name: `${owner}-web`, ports: ["80/tcp"], env: { SERVICE_NAME: name } });
    proc = registrator(owner, `eureka://${pair.join(",")}/eureka?renew=2s`);
    const id = `${owner}:${owner}-web:80`;
    await eventually("registered on the first", () => eurekaInstance(2, name, id), 30_000, 100);
    await eventually("replicated to the second", () => eurekaInstance(3, name, id), 30_000, 100);
    eurekaStop(2);
    try {
      // Three leases (6 s) and more: still there, renewed on the second only.
      const t0 = Date.now();
      await new Promise((r) => setTimeout(r, 10_000));
      const held = await eurekaInstance(3, name, id);
      expect(held?.["status"]).toBe("UP");
      expect(Number((held?.["leaseInfo"] as { lastRenewalTimestamp: number }).lastRenewalTimestamp)).toBeGreaterThan(t0);
      // A reader given both finds it through the one that answers.
      const cat = runCli(["catalog", "service", name, "--json", "--registry", `eureka://${pair.join(",")}/eureka`]);
      expect(cat.code, cat.stderr).toBe(0);
      expect(cat.stdout).toContain(id);
    } finally {
      eurekaStart(2);
    }
    await eventually("the restarted server holds it again", () => eurekaInstance(2, name, id), 60_000, 200);
    expect(proc.logs()).not.toMatch(/"level":(50|60)/);
  }, 400_000);

  it("1_a single server restarted empty: the registrator registers again (a renewal refused with 404, or the resync after the reads failed)", async () => {
    const owner = `eu-restart-${pid}`;
    const name = `eurestart${pid}`;
    await startTestContainer({ name: `${owner}-web`, ports: ["80/tcp"], env: { SERVICE_NAME: name } });
    proc = registrator(owner, `eureka://${eurekaAddress(1)}/eureka?renew=2s`);
    const id = `${owner}:${owner}-web:80`;
    await eventually("registered", () => eurekaInstance(1, name, id), 30_000, 100);
    const before = proc.logs().length;
    eurekaStop(1);
    eurekaStart(1);
    await eventually("registered again after the restart", () => eurekaInstance(1, name, id), 30_000, 200);
    // Whichever comes first registers it again: a renewal refused with 404, or the
    // resync that follows the reads failing while the server was down.
    expect(proc.logs().slice(before)).toMatch(/the server lost this lease; registering again|"reason":"new","msg":"registered"/);
  }, 400_000);
});
