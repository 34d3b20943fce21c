// A real Prometheus (Debian's) scrapes /metrics and discovers the fleet through /v1/prometheus-sd; promtool
// checks the exposition. Prometheus runs on 127.0.0.1 with its own port and a temporary config and data dir.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Running } from "./cli.js";
import { eventually, removeTestContainers, startTestContainer } from "./docker.js";
import { get, startServing, stopProcess } from "./catalog-support.js";

const owner = `cat-prom-${process.pid}`;
const svc = `catprom${process.pid}`;
const UP = "http://127.0.0.1:18730";
const PROM = "http://127.0.0.1:18731";

interface Target {
  labels: Record<string, string>;
  scrapePool: string;
  health: string;
  lastError: string;
}

describe("Prometheus scrapes /metrics and discovers containers via /v1/prometheus-sd", () => {
  let up: Running | undefined;
  let prom: ChildProcess | undefined;
  let promLog = "";
  const dir = mkdtempSync(join(tmpdir(), "portolan-prom-"));

  beforeAll(async () => {
    up = await startServing(UP, ["up", "--dns", "off", "--hostname", owner, "--listen", "127.0.0.1:18730", "--log-format", "json"]);
    const config = [
      "global: { scrape_interval: 1s, scrape_timeout: 1s }",
      "scrape_configs:",
      "  - job_name: portolan",
      "    static_configs: [{ targets: ['127.0.0.1:18730'] }]",
      "  - job_name: fleet",
      "    http_sd_configs:",
      `      - url: '${UP}/v1/prometheus-sd?service=${svc}'`,
      "        refresh_interval: 1s",
    ].join("\n");
    writeFileSync(join(dir, "prometheus.yml"), config + "\n");
    prom = spawn("prometheus", [`--config.file=${join(dir, "prometheus.yml")}`, `--storage.tsdb.path=${join(dir, "data")}`, "--web.listen-address=127.0.0.1:18731"], { stdio: ["ignore", "pipe", "pipe"] });
    prom.stderr!.setEncoding("utf8").on("data", (d: string) => (promLog += d));
    await eventually("prometheus ready", async () => (await get(`${PROM}/-/ready`)).status === 200, 60_000, 200);
  });
  afterAll(async () => {
    prom?.kill("SIGTERM");
    await stopProcess(up);
    await removeTestContainers();
    rmSync(dir, { recursive: true, force: true });
  });

  it("0_promtool check metrics is clean", async () => {
    const text = (await get(`${UP}/metrics`)).body;
    expect(text).toContain("portolan_registrations_total");
    const r = spawnSync("promtool", ["check", "metrics"], { input: text, encoding: "utf8" });
    expect([r.status, r.stdout + r.stderr]).toEqual([0, ""]);
  });

  it("1_targets: portolan itself up, the containers discovered with their labels", async () => {
    await startTestContainer({ name: `${owner}-a`, ports: ["9100/tcp"], env: { SERVICE_NAME: svc, SERVICE_TAGS: "metrics" } });
    await startTestContainer({ name: `${owner}-b`, ports: ["9100/tcp"], env: { SERVICE_NAME: svc } });
    const targets = async () => (await get(`${PROM}/api/v1/targets`)).json<{ data: { activeTargets: Target[] } }>().data.activeTargets;
    const fleet = await eventually("both containers discovered", async () => {
      const t = (await targets()).filter((x) => x.scrapePool === "fleet");
      return t.length === 2 ? t : undefined;
    }, 30_000, 250);
    expect(fleet.map((t) => t.labels.container).sort()).toEqual([`${owner}-a`, `${owner}-b`]);
    expect(fleet.find((t) => t.labels.container === `${owner}-a`)!.labels).toMatchObject({ service: svc, tags: ",metrics,", host: owner, job: "fleet" });
    const self = await eventually("portolan scraped", async () => (await targets()).find((x) => x.scrapePool === "portolan" && x.health === "up"), 30_000, 250);
    expect(self.lastError).toBe("");
    // The registrations it scraped are in its database.
    const q = await eventually("query answers", async () => {
      const r = (await get(`${PROM}/api/v1/query?query=portolan_registrations_total`)).json<{ data: { result: { value: [number, string] }[] } }>();
      return r.data.result.length > 0 && Number(r.data.result[0]!.value[1]) >= 2 ? r : undefined;
    }, 30_000, 250);
    expect(q.data.result[0]!.value[1]).toMatch(/^\d+$/);
    expect(promLog).not.toMatch(/level=error/);
  });
});
