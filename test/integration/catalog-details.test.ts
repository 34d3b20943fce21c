// Instance details from the backend: a real Consul check's Output (untrusted: bounded, shown as text in Chromium,
// never as HTML) through `catalog serve` (API, page) and `catalog service --json`; ZooKeeper's registration time
// (the node's ctime) as `since`.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import zookeeper from "node-zookeeper-client";
import { MAX_CHECK_OUTPUT } from "../../src/core/model.js";
import { silentLogger } from "../../src/core/log.js";
import { openRegistry } from "../../src/cli/registry-uri.js";
import { runCli, startCli, type Running } from "./cli.js";
import { eventually, removeTestContainers, startTestContainer } from "./docker.js";
import { HOST_LABEL, startDockerView } from "./docker-view.js";
import { launchChromium, type Browser } from "./catalog-browser.js";
import { get, startServing, stopProcess } from "./catalog-support.js";
import { httpCall, TESTBED } from "./testbed.js";

const svc = `details${process.pid}`;
const id = `det-${process.pid}`;
const CONSUL = `consul://${TESTBED.consul.host}:${TESTBED.consul.port}`;
const BASE = "http://127.0.0.1:18785";
const HOSTILE = `<img src=x onerror="window.__hit=1"><b>bold</b>\u001b[31m`;

interface View {
  id: string;
  checkOutput?: string;
  registeredAt?: string;
  since: string;
}

const consul = (method: string, path: string, body?: unknown) =>
  httpCall({ host: TESTBED.consul.host, port: TESTBED.consul.port, method, path: `/v1${path}`, body: body === undefined ? undefined : JSON.stringify(body) });

describe("instance details: check output and registration time", () => {
  let serve: Running | undefined;
  let browser: Browser | undefined;

  beforeAll(async () => {
    expect((await consul("PUT", "/agent/service/register", { ID: id, Name: svc, Address: "127.0.0.1", Port: 9999, Check: { CheckID: `${id}-ttl`, Name: "app ttl", TTL: "10m" } })).status).toBe(200);
    const output = `${HOSTILE}\n${"x".repeat(3000)}`;
    expect((await consul("PUT", `/agent/check/update/${id}-ttl`, { Status: "warning", Output: output })).status).toBe(200);
    serve = await startServing(BASE, ["catalog", "serve", "--registry", CONSUL, "--listen", "127.0.0.1:18785", "--log-format", "json"]);
  });
  afterAll(async () => {
    await browser?.close();
    await stopProcess(serve);
    await consul("PUT", `/agent/service/deregister/${id}`);
  });

  it("0_the API and catalog service --json carry a Consul check's output, bounded; since is the catalog's first sight", async () => {
    const doc = await eventually("the check output served", async () => {
      const r = await get(`${BASE}/v1/services/${svc}`);
      const i = r.status === 200 ? r.json<{ instances: View[] }>().instances[0] : undefined;
      return i?.checkOutput?.startsWith("app ttl: <img") ? i : undefined;
    }, 20_000, 100);
    expect(doc.checkOutput!.length).toBe(MAX_CHECK_OUTPUT);
    expect(doc.checkOutput).toContain(`<b>bold</b>\ufffd[31m\nxxx`);
    expect(doc.checkOutput!.endsWith("…")).toBe(true);
    // Consul keeps no registration time: none is claimed.
    expect(doc.registeredAt).toBeUndefined();
    const cli = runCli(["catalog", "service", svc, "--json", "--registry", CONSUL]);
    expect(cli.code).toBe(0);
    const printed = JSON.parse(cli.stdout) as { instances: View[] };
    expect(printed.instances[0]!.checkOutput).toBe(doc.checkOutput);
  }, 30_000);

  it("3_a container's HEALTHCHECK output reaches its Consul check with the health change: the catalog shows the probe's words", async () => {
    const owner = `hlog-${process.pid}`;
    const name = `hlog${process.pid}`;
    const view = await startDockerView(owner); // this test's container only: no copies of other suites' entries
    const reg = startCli(["registrator", "--hostname", owner, "--deregister-on-exit", "--log-format", "json", CONSUL], { DOCKER_HOST: view.dockerHost });
    try {
      await eventually("the registrator's first resync", () => reg.logs().includes("resync done"), 30_000, 100);
      // Healthy for its first 10 probes (3 s), then failing: however late the registration comes within those 3 s,
      // the change to critical comes after it and carries the probe's output.
      const PROBE = 'n=$(cat /tmp/n 2>/dev/null || echo 0); echo $((n+1)) > /tmp/n; if [ "$n" -lt 10 ]; then echo probe-says-ok; exit 0; fi; echo probe-says-503; exit 1';
      // (An output alone, at the same status, reaches Consul's catalog only at the agent's check_update_interval.)
      await startTestContainer({ name: `${owner}-web`, ports: ["80/tcp"], env: { SERVICE_NAME: name }, labels: { [HOST_LABEL]: owner }, healthcheck: { test: ["CMD-SHELL", PROBE], intervalMs: 300 } });
      const inst = await eventually("the probe's output in the catalog", async () => {
        const cli = runCli(["catalog", "service", name, "--json", "--registry", CONSUL]);
        const i = cli.code === 0 ? (JSON.parse(cli.stdout) as { instances: (View & { health: string })[] }).instances[0] : undefined;
        return i?.health === "critical" && i.checkOutput?.includes("probe-says-503") ? i : undefined;
      }, 30_000, 300);
      expect(inst.checkOutput).toMatch(/^Docker health: probe-says-503$/m);
    } finally {
      await stopProcess(reg);
      await view.close();
      await removeTestContainers();
    }
  }, 60_000);

  it("1_Chromium shows the output as text in the instance's details (no element made of it)", async () => {
    browser = await launchChromium();
    const page = await browser.context.newPage();
    await page.goto(`${BASE}/`);
    await page.locator('#status[data-state="live"]').waitFor({ timeout: 15_000 });
    await page.fill("#filter", svc);
    await page.locator(`tr.svc[data-service="${svc}"]`).click();
    await page.locator(`tr.inst[data-instance="${id}"]`).click();
    const out = page.locator(`tr.detail[data-detail="${id}"] dd.output`);
    await out.waitFor({ timeout: 10_000 });
    const text = await out.textContent();
    expect(text?.startsWith(`app ttl: <img src=x onerror="window.__hit=1"><b>bold</b>`)).toBe(true);
    expect(await page.locator(`tr.detail[data-detail="${id}"] img, tr.detail[data-detail="${id}"] b`).count()).toBe(0);
    expect(await page.evaluate(() => (window as unknown as { __hit?: number }).__hit)).toBeUndefined();
    expect(await page.locator(`tr.detail[data-detail="${id}"]`).innerText()).toMatch(/since\s+.*\(first seen by this catalog; the backend keeps no registration time\)/);
    await page.close();
  }, 60_000);

  it("2_ZooKeeper: since is the node's ctime", async () => {
    const chroot = `/portolan-details-${process.pid}`;
    const uri = `zk://${TESTBED.zkStandalone}${chroot}?format=curator`;
    const registry = await openRegistry(uri, { logger: silentLogger() });
    try {
      await registry.register({ id: `zkhost:${svc}:80`, name: svc, address: "127.0.0.1", port: 8080, protocol: "tcp", tags: [], meta: {}, checks: [], health: "passing", owner: "zkhost" });
      const ctime = await new Promise<number>((resolve, reject) => {
        const c = zookeeper.createClient(TESTBED.zkStandalone);
        c.once("connected", () =>
          c.exists(`${chroot}/${svc}/zkhost:${svc}:80`, (err, stat) => {
            c.close();
            if (err || !stat) reject(err ?? new Error("no node"));
            else resolve(Number(stat.ctime.readBigInt64BE()));
          }),
        );
        c.connect();
      });
      const cli = runCli(["catalog", "service", svc, "--json", "--registry", uri]);
      expect(cli.code, cli.stderr).toBe(0);
      const [i] = (JSON.parse(cli.stdout) as { instances: View[] }).instances;
      expect(i!.registeredAt).toBe(new Date(ctime).toISOString());
      expect(i!.since).toBe(i!.registeredAt);
    } finally {
      await registry.close();
    }
  }, 30_000);
});
