// What changed, in a real browser (Debian's Chromium) and through the CLI, against a real `portolan up` and dockerd:
// the recent-changes view (registrations, a health change, a refused container with its reason, a container
// removed a moment ago still named), the host view, an instance's details, and `portolan catalog events` (table,
// JSON lines, --follow). Screenshots go to test-artifacts/ (docs/catalog.md shows copies in docs/).
import { spawn } from "node:child_process";
import { mkdirSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLI, runCli, type Running } from "./cli.js";
import { eventually, removeTestContainers, startTestContainer } from "./docker.js";
import { launchChromium, type Browser } from "./catalog-browser.js";
import { get, startServing, stopProcess } from "./catalog-support.js";

const owner = `cat-chg-${process.pid}`;
const p = `chg${process.pid}`;
const UP = "http://127.0.0.1:28720";
// Screenshots go to test-artifacts/; with PORTOLAN_UPDATE_SCREENSHOTS=1 to docs/, the copies docs/catalog.md shows.
const DOCS = new URL(process.env.PORTOLAN_UPDATE_SCREENSHOTS === "1" ? "../../docs/" : "../../test-artifacts/", import.meta.url).pathname;

interface Change {
  kind: string;
  id?: string;
  container?: string;
  host: string;
  health?: string;
  from?: string;
  key?: string;
  reason?: string;
}

describe("catalog: what changed (page in Chromium, API, CLI)", () => {
  let up: Running | undefined;
  let browser: Browser | undefined;

  beforeAll(async () => {
    up = await startServing(UP, ["up", "--dns", "off", "--hostname", owner, "--listen", "127.0.0.1:28720", "--log-format", "json"]);
    browser = await launchChromium();
    mkdirSync(DOCS, { recursive: true });
  });
  afterAll(async () => {
    await browser?.close();
    await stopProcess(up);
    await removeTestContainers();
  });

  it("0_recent changes, refusals, host view and instance details on the page", async () => {
    const page = await browser!.context.newPage();
    await page.goto(`${UP}/`);
    await page.locator('#status[data-state="live"]').waitFor({ timeout: 15_000 });
    await page.fill("#filter", p);
    await startTestContainer({ name: `${owner}-api`, ports: ["8080/tcp"], env: { SERVICE_NAME: `${p}-api`, SERVICE_TAGS: "http", SERVICE_CHECK_TCP: "true", SERVICE_CHECK_INTERVAL: "5s", SERVICE_VERSION: "1.4.2" } });
    const gone = await startTestContainer({ name: `${owner}-gone`, ports: ["80/tcp"], env: { SERVICE_NAME: `${p}-gone` } });
    await startTestContainer({ name: `${owner}-worker`, ports: ["9000/tcp"], env: { SERVICE_NAME: `${p}-worker` }, healthcheck: { test: ["CMD", "false"], intervalMs: 500 } });
    await startTestContainer({ name: `${owner}-bad`, ports: ["80/tcp"], env: { SERVICE_NAME: `${p}_bad` } });
    await page.click("#tab-changes");
    const change = (kind: string, container: string) => page.locator(`tr.change[data-kind="${kind}"][data-container="${container}"]`);
    await change("registered", `${owner}-gone`).waitFor({ timeout: 15_000 });
    await gone.remove({ force: true });
    // Removed a moment ago: the list is gone from the services view, the change still names the container.
    await change("deregistered", `${owner}-gone`).waitFor({ timeout: 15_000 });
    expect(await change("deregistered", `${owner}-gone`).locator("td").nth(4).innerText()).toBe(`${owner}:${owner}-gone:80`);
    const refused = change("refused", `${owner}-bad`);
    await refused.waitFor({ timeout: 15_000 });
    expect(await refused.locator("td").nth(5).innerText()).toMatch(new RegExp(`^80/tcp SERVICE_NAME: service name "${p}_bad" is not a DNS label`));
    expect(await refused.locator("td").nth(2).innerText()).toBe(owner);
    await change("health", `${owner}-worker`).last().waitFor({ timeout: 20_000 });
    await page.waitForFunction((c) => [...document.querySelectorAll(`tr.change[data-kind="health"][data-container="${c}"] td:last-child`)].some((td) => td.textContent?.endsWith("critical")), `${owner}-worker`, { timeout: 20_000 });
    await page.screenshot({ path: `${DOCS}catalog-changes.png` });

    await page.click("#tab-hosts");
    const host = page.locator(`tr.host[data-host="${owner}"]`);
    await host.waitFor();
    expect(await host.locator("td").nth(1).innerText()).toBe("2");
    expect(await host.locator("td").nth(2).innerText()).toMatch(/^1\s*0\s*1$/);
    expect(await host.locator("td").nth(3).innerText()).toBe(`${p}-api, ${p}-worker`);
    await page.screenshot({ path: `${DOCS}catalog-hosts.png` });

    await page.click("#tab-services");
    await page.locator(`tr.svc[data-service="${p}-api"]`).click();
    await page.locator(`tr.inst[data-instance="${owner}:${owner}-api:8080"]`).click();
    const detail = page.locator(`tr.detail[data-detail="${owner}:${owner}-api:8080"]`);
    await detail.waitFor();
    const text = await detail.innerText();
    expect(text).toMatch(/check tcp\s+127\.0\.0\.1:\d+ · every 5s/);
    expect(text).toMatch(/meta version\s+1\.4\.2/);
    expect(text).toMatch(new RegExp(`container\\s+${owner}-api \\([0-9a-f]{12}\\)`));
    await page.screenshot({ path: `${DOCS}catalog-instance.png` });
    await page.close();
  }, 90_000);

  it("1_the API serves the same changes; catalog events prints them (table, JSON lines, --follow)", async () => {
    const body = (await get(`${UP}/v1/changes`)).json<{ changes: Change[] }>();
    const mine = body.changes.filter((c) => c.container?.startsWith(owner));
    expect(mine.find((c) => c.kind === "deregistered" && c.container === `${owner}-gone`)).toMatchObject({ id: `${owner}:${owner}-gone:80`, host: owner });
    expect(mine.find((c) => c.kind === "refused")).toMatchObject({ container: `${owner}-bad`, key: "SERVICE_NAME", host: owner });
    expect((await get(`${UP}/v1/changes?limit=1`)).json<{ changes: Change[] }>().changes).toHaveLength(1);
    expect((await get(`${UP}/v1/changes?limit=x`)).status).toBe(400);

    const table = runCli(["catalog", "events", "--registry", "portolan://127.0.0.1:28720"]);
    expect(table.code).toBe(0);
    expect(table.stdout.split("\n")[0]).toMatch(/^TIME\s+CHANGE\s+HOST\s+CONTAINER\s+INSTANCE\s+DETAIL$/);
    expect(table.stdout).toMatch(new RegExp(`deregistered\\s+${owner}\\s+${owner}-gone\\s+${owner}:${owner}-gone:80`));
    expect(table.stdout).toMatch(new RegExp(`refused\\s+${owner}\\s+${owner}-bad\\s+-\\s+80/tcp SERVICE_NAME: service name "${p}_bad"`));
    const json = runCli(["catalog", "events", "--registry", "portolan://127.0.0.1:28720", "--json"]);
    const lines = json.stdout.trim().split("\n").map((l) => JSON.parse(l) as Change & { at: string });
    expect(lines.map((l) => l.at)).toEqual([...lines.map((l) => l.at)].sort()); // oldest first
    expect(lines.filter((l) => l.container?.startsWith(owner)).map((l) => l.kind)).toEqual(mine.map((c) => c.kind).reverse());

    // --follow: the log, then a registration made now, as a JSON line while it happens.
    const follow = spawn(process.execPath, [CLI, "catalog", "events", "--registry", "portolan://127.0.0.1:28720", "--follow", "--json"], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    follow.stdout.setEncoding("utf8").on("data", (d: string) => (out += d));
    try {
      await eventually("the log printed", () => out.includes(`"container":"${owner}-bad"`), 15_000, 50);
      await startTestContainer({ name: `${owner}-late`, ports: ["80/tcp"], env: { SERVICE_NAME: `${p}-late` } });
      const line = await eventually("the new registration followed", () => out.split("\n").find((l) => l.includes(`"container":"${owner}-late"`)), 15_000, 50);
      expect(JSON.parse(line)).toMatchObject({ kind: "registered", id: `${owner}:${owner}-late:80`, service: `${p}-late`, host: owner });
    } finally {
      follow.kill("SIGTERM");
      const code = await new Promise((r) => follow.on("exit", (c) => r(c)));
      expect(code).toBe(0);
    }
    const wrong = runCli(["catalog", "events", "--registry", "consul://127.0.0.1:18500"]);
    expect(wrong.code).toBe(64);
    expect(wrong.stderr).toMatch(/--registry: catalog events reads the change log of a catalog server/);
  }, 60_000);
});
