// A stop ends the process as soon as its work is done, and always within --shutdown-timeout, after containers came
// and went (real bin/portolan, real dockerd, the embedded registry). A removed container's inspect answers 404; its
// body was never read, so the keep-alive connection to dockerd stayed referenced and held the process until the
// exit fallback at --shutdown-timeout + 1 s (docker stop: SIGKILL, exit 137).
import { connect, createServer, type AddressInfo, type Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { signalAndWait, startBin } from "./cli.js";
import { eventually, removeTestContainers, startTestContainer } from "./docker.js";
import { HOST_LABEL, startDockerView } from "./docker-view.js";
import { TESTBED } from "./testbed.js";

afterEach(async () => {
  await removeTestContainers();
});

const cases: Array<{ case: string; args: string[] }> = [
  { case: "registrator memory:", args: ["registrator", "--shutdown-timeout", "3s", "memory:"] },
  { case: "registrator memory:, default timeout", args: ["registrator", "memory:"] },
  { case: "up", args: ["up", "--shutdown-timeout", "3s", "--dns", "127.0.0.1:0", "--listen", "127.0.0.1:0"] },
];

describe("shutdown after a container came and went", () => {
  cases.forEach((c, i) => {
    it(`${i}_${c.case}: SIGTERM exits 0 well within the bound`, async () => {
      const host = `bound${i}-${process.pid}`;
      const run = startBin([...c.args, "--hostname", host, "--log-format", "json"]);
      try {
        await eventually("started", () => run.logs().includes('"resync done"'), 20_000);
        const name = `portolan-bound-${i}-${process.pid}`;
        const container = await startTestContainer({ name, ports: ["80/tcp"] });
        await eventually("registered", () => run.logs().includes(`"id":"${host}:${name}:80"`) && run.logs().includes('"registered"'), 10_000);
        await container.remove({ force: true });
        await eventually("deregistered", () => run.logs().includes('"deregistered"'), 10_000);
        // Both the die and the destroy event's inspect (a 404) are done before the stop.
        await new Promise((r) => setTimeout(r, 500));
        const { code, tookMs } = await signalAndWait(run, "SIGTERM", 5_000);
        expect(code, `exit code (undefined: still running 5 s after SIGTERM); logs: ${run.logs()}`).toBe(0);
        expect(tookMs, run.logs()).toBeLessThan(2_000);
        expect(run.logs()).toContain('"msg":"stopped"');
      } finally {
        if (run.proc.exitCode === null) run.proc.kill("SIGKILL");
      }
    });
  });
});

/** A TCP proxy to `target` on loopback; `freeze()` stops forwarding (a backend that hangs, answering nothing). */
async function freezableProxy(target: { host: string; port: number }) {
  const pairs: Socket[][] = [];
  let frozen = false;
  const server = createServer((client) => {
    if (frozen) return void pairs.push([client]);
    const up = connect(target.port, target.host);
    client.pipe(up);
    up.pipe(client);
    for (const s of [client, up]) s.on("error", () => {});
    pairs.push([client, up]);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    port: (server.address() as AddressInfo).port,
    freeze() {
      frozen = true;
      for (const [client, up] of pairs) {
        if (!up) continue;
        client!.unpipe(up);
        up.unpipe(client);
      }
    },
    async close() {
      for (const p of pairs) for (const s of p) s.destroy();
      await new Promise((r) => server.close(r));
    },
  };
}

// Each backend behind the proxy, and how to remove what the frozen proxy kept from it.
const FROZEN = [
  {
    name: "consul",
    target: TESTBED.consul,
    uri: (port: number) => `consul://127.0.0.1:${port}`,
    cleanup: (host: string) =>
      fetch(`http://${TESTBED.consul.host}:${TESTBED.consul.port}/v1/agent/services`)
        .then((r) => r.json() as Promise<Record<string, unknown>>)
        .then((all) => Promise.all(Object.keys(all).filter((id) => id.startsWith(`${host}:`)).map((id) => fetch(`http://${TESTBED.consul.host}:${TESTBED.consul.port}/v1/agent/service/deregister/${encodeURIComponent(id)}`, { method: "PUT" })))),
  },
  {
    name: "eureka",
    target: { host: TESTBED.eureka.single.split(":")[0]!, port: Number(TESTBED.eureka.single.split(":")[1]) },
    uri: (port: number) => `eureka://127.0.0.1:${port}/eureka`,
    cleanup: (host: string) =>
      fetch(`http://${TESTBED.eureka.single}/eureka/apps`, { headers: { accept: "application/json" } })
        .then((r) => r.json() as Promise<{ applications: { application?: Array<{ name: string; instance: Array<{ instanceId: string }> }> } }>)
        .then((all) => Promise.all((all.applications.application ?? []).flatMap((a) => a.instance.filter((i) => i.instanceId.startsWith(`${host}:`)).map((i) => fetch(`http://${TESTBED.eureka.single}/eureka/apps/${a.name}/${encodeURIComponent(i.instanceId)}`, { method: "DELETE" }))))),
  },
];

describe.each(FROZEN)("shutdown against a backend that stops answering: $name", (b) => {
  it("0_--deregister-on-exit ends by --shutdown-timeout (was + 1 s), exit 0, says what was left", async () => {
    const proxy = await freezableProxy(b.target);
    const host = `frozen-${b.name}-${process.pid}`;
    // Only this test's container: the other suites' containers on the shared dockerd are not registered in the
    // backends their own tests read (a Java client counting a service's instances saw this registrator's copy).
    const view = await startDockerView(host);
    const run = startBin(["registrator", "--deregister-on-exit", "--shutdown-timeout", "2s", "--hostname", host, "--log-format", "json", b.uri(proxy.port)], { DOCKER_HOST: view.dockerHost });
    try {
      await eventually("started", () => run.logs().includes('"resync done"'), 20_000);
      const name = `portolan-frozen-${b.name}-${process.pid}`;
      await startTestContainer({ name, ports: ["80/tcp"], labels: { [HOST_LABEL]: host } });
      await eventually("registered", () => run.logs().includes(`"id":"${host}:${name}:80"`), 10_000);
      proxy.freeze();
      const { code, tookMs } = await signalAndWait(run, "SIGTERM", 6_000);
      expect(code, `exit code (undefined: still running 6 s after SIGTERM); logs: ${run.logs()}`).toBe(0);
      // It waited for the frozen deregistration (most of the 2 s), reported, and ended by the bound.
      expect(tookMs, run.logs()).toBeGreaterThanOrEqual(1_500);
      expect(tookMs, run.logs()).toBeLessThan(2_300);
      expect(run.logs()).toContain("entries left registered");
    } finally {
      if (run.proc.exitCode === null) run.proc.kill("SIGKILL");
      await proxy.close();
      await view.close();
      await b.cleanup(host).catch(() => {});
    }
  });
});
