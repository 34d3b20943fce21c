// 1,000 idle /v1/events clients on a real `portolan up`: every one gets a change; the server's memory stays
// bounded over six rounds of 1,000 clients connecting and leaving. The old generation is capped at 64 MiB, so a
// per-client leak (6,000 clients' sockets, responses and buffers) would end the process, not just grow it.
import { readFileSync } from "node:fs";
import { request, type ClientRequest } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Running } from "./cli.js";
import { eventually, removeTestContainers, startTestContainer } from "./docker.js";
import { get, startServing, stopProcess } from "./catalog-support.js";

const owner = `cat-sse-${process.pid}`;
const UP = "http://127.0.0.1:18706";
const N = 1000;

function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return Number(m![1]) / 1024;
}

async function sseClients(): Promise<number> {
  const m = /^portolan_catalog_sse_clients (\d+)$/m.exec((await get(`${UP}/metrics`)).body);
  return Number(m?.[1]);
}

describe("1,000 idle SSE clients", () => {
  let up: Running | undefined;

  beforeAll(async () => {
    // As bin/portolan runs it (V8 young generation capped).
    up = await startServing(UP, ["up", "--dns", "off", "--hostname", owner, "--listen", "127.0.0.1:18706", "--log-format", "json"], { NODE_OPTIONS: "--max-semi-space-size=1 --max-old-space-size=64" });
  });
  afterAll(async () => {
    await stopProcess(up);
    await removeTestContainers();
  });

  async function round(marker: string): Promise<number> {
    const got = new Array<string>(N).fill("");
    const reqs: ClientRequest[] = [];
    await Promise.all(
      Array.from({ length: N }, (_, k) =>
        new Promise<void>((resolve, reject) => {
          const req = request(`${UP}/v1/events`, { agent: false, headers: { accept: "text/event-stream" } }, (res) => {
            res.setEncoding("utf8").on("data", (d: string) => (got[k] = (got[k]! + d).slice(-4096)));
            resolve();
          });
          req.on("error", (err) => (err.message === "socket hang up" ? undefined : reject(err)));
          req.end();
          reqs.push(req);
        }),
      ),
    );
    await eventually(`${N} clients counted`, async () => (await sseClients()) === N, 20_000, 100);
    const c = await startTestContainer({ name: `${owner}-${marker}`, ports: ["80/tcp"], env: { SERVICE_NAME: `${marker}${process.pid}` } });
    await eventually("every client got the change", () => got.every((t) => t.includes(`${owner}-${marker}`)), 20_000, 100);
    const rss = rssMiB(up!.proc.pid!);
    for (const r of reqs) r.destroy();
    await c.remove({ force: true });
    await eventually("clients gone", async () => (await sseClients()) === 0, 20_000, 100);
    return rss;
  }

  it("0_bounded memory over six rounds of 1,000 clients", async () => {
    const rss = [rssMiB(up!.proc.pid!)];
    for (const marker of ["ssea", "sseb", "ssec", "ssed", "ssee", "ssef"]) rss.push(await round(marker));
    expect(up!.proc.exitCode, up!.logs()).toBe(null);
    expect(Math.max(...rss), rss.join(" ")).toBeLessThan(120);
    expect((await get(`${UP}/healthz`)).status).toBe(200);
  });
});
