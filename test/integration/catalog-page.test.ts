// The live page in a real browser (Debian's Chromium + playwright-core) against a real `portolan up` and dockerd:
// lists services, shows a started container without a reload and drops a stopped one, filters, expands, and shows
// the backend-down and disconnected states. Saves a screenshot as a test artifact (test-artifacts/catalog-page.png; README.md and docs/catalog.md show a copy, examples/catalog/page.png).
import { mkdirSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Running } from "./cli.js";
import { removeTestContainers, startTestContainer } from "./docker.js";
import { launchChromium, type Browser } from "./catalog-browser.js";
import { startServing, stopProcess } from "./catalog-support.js";

const owner = `cat-page-${process.pid}`;
const p = `pg${process.pid}`;
const UP = "http://127.0.0.1:18720";
const VIEW = "http://127.0.0.1:18721";
const ARTIFACTS = new URL("../../test-artifacts/", import.meta.url).pathname;

describe("catalog page in Chromium", () => {
  let up: Running | undefined;
  let view: Running | undefined;
  let browser: Browser | undefined;

  beforeAll(async () => {
    up = await startServing(UP, ["up", "--dns", "off", "--hostname", owner, "--listen", "127.0.0.1:18720", "--log-format", "json"]);
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await stopProcess(view);
    await stopProcess(up);
    await removeTestContainers();
  });

  it("0_lists services, live add/remove without reload, filter, expand, screenshot", async () => {
    await startTestContainer({ name: `${owner}-api`, ports: ["8080/tcp"], env: { SERVICE_NAME: `${p}-api`, SERVICE_TAGS: "http,v2" } });
    await startTestContainer({ name: `${owner}-api2`, ports: ["8080/tcp"], env: { SERVICE_NAME: `${p}-api`, SERVICE_TAGS: "http,v2" } });
    await startTestContainer({ name: `${owner}-redis`, ports: ["6379/tcp"], env: { SERVICE_NAME: `${p}-redis`, SERVICE_TAGS: "cache" } });
    await startTestContainer({ name: `${owner}-worker`, ports: ["9000/tcp"], env: { SERVICE_NAME: `${p}-worker` }, healthcheck: { test: ["CMD", "false"], intervalMs: 500 } });
    const page = await browser!.context.newPage();
    await page.goto(`${UP}/`);
    const row = (name: string) => page.locator(`tr.svc[data-service="${name}"]`);
    await row(`${p}-api`).waitFor({ timeout: 15_000 });
    await row(`${p}-redis`).waitFor();
    expect(await row(`${p}-api`).locator("td").nth(1).innerText()).toMatch(/^2\s*0\s*0$/);
    await page.locator('#status[data-state="live"]').waitFor();
    await page.waitForFunction((n) => document.querySelector(`tr.svc[data-service="${n}"] .critical`) !== null, `${p}-worker`, { timeout: 20_000 });

    // A container started now appears without a reload.
    const navigations: string[] = [];
    page.on("framenavigated", (f) => navigations.push(f.url()));
    const c = await startTestContainer({ name: `${owner}-late`, ports: ["80/tcp"], env: { SERVICE_NAME: `${p}-late` } });
    await row(`${p}-late`).waitFor({ timeout: 10_000 }); // how fast: bench/catalog.ts (page update latency)
    await c.stop();
    await row(`${p}-late`).waitFor({ state: "detached", timeout: 10_000 });
    expect(navigations).toEqual([]);

    // Filter by text (service, tag, host, container), then by health; expand a service to its instances.
    await page.fill("#filter", "cache");
    await row(`${p}-api`).waitFor({ state: "detached" });
    expect(await row(`${p}-redis`).count()).toBe(1);
    await page.fill("#filter", p);
    await page.selectOption("#health", "critical");
    await row(`${p}-api`).waitFor({ state: "detached" });
    expect(await page.locator("tr.svc").count()).toBe(1);
    await page.selectOption("#health", "");
    await row(`${p}-api`).click();
    await page.locator(`tr.inst[data-instance="${owner}:${owner}-api2:8080"]`).waitFor();
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: `${ARTIFACTS}catalog-page.png` });
    await page.fill("#filter", `no-such-thing-${p}`);
    await page.locator('#empty[data-state="no-match"]').waitFor();
    await page.close();
  });

  it("1_backend down and disconnected states, then recovery", async () => {
    view = await startServing(VIEW, ["catalog", "serve", "--registry", "portolan://127.0.0.1:18720", "--listen", "127.0.0.1:18721", "--log-format", "json"]);
    const page = await browser!.context.newPage();
    await page.goto(`${VIEW}/`);
    await page.locator(`tr.svc[data-service="${p}-api"]`).waitFor({ timeout: 15_000 });
    await stopProcess(up);
    await page.locator('#status[data-state="backend-down"]').waitFor({ timeout: 15_000 });
    expect(await page.locator("#banner").innerText()).toContain("does not answer");
    expect(await page.locator(`tr.svc[data-service="${p}-api"]`).count()).toBe(1);
    up = await startServing(UP, ["up", "--dns", "off", "--hostname", owner, "--listen", "127.0.0.1:18720", "--log-format", "json"]);
    await page.locator('#status[data-state="live"]').waitFor({ timeout: 20_000 });
    await stopProcess(view);
    await page.locator('#status[data-state="disconnected"]').waitFor({ timeout: 10_000 });
    view = await startServing(VIEW, ["catalog", "serve", "--registry", "portolan://127.0.0.1:18720", "--listen", "127.0.0.1:18721", "--log-format", "json"]);
    await page.locator('#status[data-state="live"]').waitFor({ timeout: 20_000 });
    await page.locator(`tr.svc[data-service="${p}-api"]`).waitFor({ timeout: 20_000 });
    await page.close();
  });
});
