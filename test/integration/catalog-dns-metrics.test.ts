// `portolan up` with the DNS shim: after dig (UDP and TCP) and Node's resolver ask it, the catalog's /metrics
// shows those queries by type and rcode, the cache, TCP and a latency histogram, and promtool finds it clean.
import { spawnSync } from "node:child_process";
import { promises as dns } from "node:dns";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Running } from "./cli.js";
import { eventually, removeTestContainers, startTestContainer } from "./docker.js";
import { get, startServing, stopProcess } from "./catalog-support.js";
import { dig } from "./dns-support.js";

const owner = `metrics-dns-${process.pid}`;
const svc = `metricsdns${process.pid}`;
const UP = "http://127.0.0.1:18900";
const DNS_PORT = 18901;

/** Samples of /metrics as `name{labels}` -> value. */
async function scrape(): Promise<{ text: string; value: (key: string) => number }> {
  const text = (await get(`${UP}/metrics`)).body;
  const values = new Map<string, number>();
  for (const line of text.split("\n")) {
    const m = /^(\S+) (\S+)$/.exec(line);
    if (m && !line.startsWith("#")) values.set(m[1]!, Number(m[2]));
  }
  return { text, value: (key) => values.get(key) ?? 0 };
}

describe("portolan up: the DNS shim's figures on the catalog's /metrics", () => {
  let up: Running | undefined;

  beforeAll(async () => {
    up = await startServing(UP, ["up", "--hostname", owner, "--listen", "127.0.0.1:18900", "--dns", `127.0.0.1:${DNS_PORT}`, "--log-format", "json"]);
    await startTestContainer({ name: `${owner}-a`, ports: ["80/tcp"], env: { SERVICE_NAME: svc } });
    await eventually("the shim answers the container's SRV", async () => (await dig(DNS_PORT, `${svc}.service.consul`, "SRV")).answer.length === 1, 60_000, 200);
  });
  afterAll(async () => {
    await stopProcess(up);
    await removeTestContainers();
  });

  it("0_queries by type and rcode, TCP and the histogram count what the clients asked", async () => {
    const before = await scrape();
    expect((await dig(DNS_PORT, `${svc}.service.consul`, "SRV")).status).toBe("NOERROR");
    expect((await dig(DNS_PORT, `${svc}.service.consul`, "SRV", "+tcp")).status).toBe("NOERROR");
    expect((await dig(DNS_PORT, `nothing${svc}.service.consul`, "A")).status).toBe("NXDOMAIN");
    const resolver = new dns.Resolver({ timeout: 2000, tries: 1 });
    resolver.setServers([`127.0.0.1:${DNS_PORT}`]);
    expect((await resolver.resolveSrv(`${svc}.service.consul`)).length).toBe(1);

    const after = await scrape();
    const delta = (key: string) => after.value(key) - before.value(key);
    const keys = [
      'portolan_dns_queries_total{type="SRV",rcode="NOERROR"}',
      'portolan_dns_queries_total{type="A",rcode="NXDOMAIN"}',
      "portolan_dns_tcp_connections_total",
      "portolan_dns_query_duration_seconds_count",
      'portolan_dns_query_duration_seconds_bucket{le="+Inf"}',
    ];
    expect(Object.fromEntries(keys.map((k) => [k, delta(k)]))).toEqual(Object.fromEntries(keys.map((k, i) => [k, [3, 1, 1, 4, 4][i]])));
    expect(delta("portolan_dns_cache_hits_total") + delta("portolan_dns_cache_misses_total")).toBe(4);
    expect(after.value("portolan_dns_query_duration_seconds_sum")).toBeGreaterThan(0);
    expect(after.text).toContain("# TYPE portolan_dns_query_duration_seconds histogram\n");
  });

  it("1_promtool check metrics is clean with the DNS families", async () => {
    const { text } = await scrape();
    expect(text).toContain('portolan_dns_queries_total{type="SRV",rcode="NOERROR"}');
    const r = spawnSync("promtool", ["check", "metrics"], { input: text, encoding: "utf8" });
    expect([r.status, r.stdout + r.stderr]).toEqual([0, ""]);
  });
});
