// Refusals seen from another host: a registrator ("host A") refuses a container (a name that is not a DNS label);
// a catalog reading the same backend from elsewhere ("host B": `catalog serve` with its page in Chromium, `catalog refusals`) shows it with
// host, container, key and reason, through the real Consul (KV) and ZooKeeper; removing the container removes it.
import { afterAll, describe, expect, it } from "vitest";
import { runCli } from "./cli.js";
import { eventually, startTestContainer } from "./docker.js";
import { fleetPair, get } from "./catalog-support.js";
import { launchChromium } from "./catalog-browser.js";
import { TESTBED } from "./testbed.js";

interface Doc {
  shared: boolean;
  message?: string;
  hosts: { host: string; more: number; refusals: { container: string; port?: string; key: string; reason: string; since: string }[] }[];
}

const BACKENDS = [
  { name: "consul", uri: `consul://${TESTBED.consul.host}:${TESTBED.consul.port}`, port: 18786 },
  { name: "zk", uri: `zk://${TESTBED.zkStandalone}/portolan-refusals-it-${process.pid}?format=curator`, port: 18787 },
];

describe.each(BACKENDS)("refusals shared through $name", (b) => {
  const hostA = `refA-${b.name}-${process.pid}`;
  const pair = fleetPair(b.uri, hostA, b.port);
  const base = pair.base;

  afterAll(() => pair.stop());

  it("0_a container refused on host A is listed by host B's catalog, and leaves the list with its container", async () => {
    await pair.start();
    const bad = await startTestContainer({ name: `${hostA}-bad`, ports: ["80/tcp"], env: { SERVICE_NAME: "not_a_label" }, labels: pair.labels });
    const mine = (d: Doc) => d.hosts.find((h) => h.host === hostA);
    const listed = await eventually("the refusal served by host B's catalog", async () => {
      const d = (await get(`${base}/v1/refusals`)).json<Doc>();
      return mine(d);
    }, 30_000, 100).catch((err: Error) => {
      throw new Error(`${err.message}\n${pair.logs()}`);
    });
    expect(listed).toMatchObject({ more: 0, refusals: [{ container: `${hostA}-bad`, port: "80/tcp", key: "SERVICE_NAME", reason: expect.stringContaining('"not_a_label" is not a DNS label') }] });
    expect(Date.parse(listed.refusals[0]!.since)).toBeGreaterThan(Date.now() - 120_000);

    // `catalog refusals` reading the backend itself, as any host would.
    const json = runCli(["catalog", "refusals", "--registry", b.uri, "--json"]);
    expect(json.code, json.stderr).toBe(0);
    expect(mine(JSON.parse(json.stdout) as Doc)).toEqual(listed);
    const table = runCli(["catalog", "refusals", "--registry", b.uri]);
    expect(table.stdout.split("\n")[0]).toMatch(/^HOST\s+CONTAINER\s+PORT\s+KEY\s+SINCE\s+REASON$/);
    expect(table.stdout).toMatch(new RegExp(`${hostA}\\s+${hostA}-bad\\s+80/tcp\\s+SERVICE_NAME\\s+\\S+\\s+service name "not_a_label" is not a DNS label`));

    // The page's Refused view (Chromium): the same entry, shown as text; it leaves with the container.
    const browser = await launchChromium();
    try {
      const page = await browser.context.newPage();
      await page.goto(`${base}/`);
      await page.locator('#status[data-state="live"]').waitFor({ timeout: 15_000 });
      await page.click("#tab-refusals");
      const row = page.locator(`tr.refusal[data-host="${hostA}"][data-container="${hostA}-bad"]`);
      await row.waitFor({ timeout: 10_000 });
      expect(await row.locator("td").nth(3).innerText()).toBe("SERVICE_NAME");
      expect(await row.locator("td").nth(4).innerText()).toMatch(/service name "not_a_label" is not a DNS label/);
      await bad.remove({ force: true });
      await row.waitFor({ state: "detached", timeout: 30_000 });
    } finally {
      await browser.close();
    }
    await eventually("the refusal gone from host B's catalog", async () => mine((await get(`${base}/v1/refusals`)).json<Doc>()) === undefined, 30_000, 100);
    const after = runCli(["catalog", "refusals", "--registry", b.uri, "--json"]);
    expect(mine(JSON.parse(after.stdout) as Doc)).toBeUndefined();
  }, 90_000);
});

describe("refusals on a backend that does not share them", () => {
  it("0_catalog refusals says so (etcd), and exits 0", () => {
    const r = runCli(["catalog", "refusals", "--registry", `etcd://${TESTBED.etcd}/portolan-refusals-it`]);
    expect([r.code, r.stdout]).toEqual([0, ""]);
    expect(r.stderr).toMatch(/^refusals are not shared by this backend \(etcd\)/);
    const j = runCli(["catalog", "refusals", "--registry", `etcd://${TESTBED.etcd}/portolan-refusals-it`, "--json"]);
    expect(JSON.parse(j.stdout)).toEqual({ shared: false, message: "refusals are not shared by this backend (etcd)", hosts: [] });
  });
});
