// Catalog benchmark: `npm run bench:catalog`. A `portolan up` whose embedded registry holds 1,000 services /
// 5,000 instances (bench/catalog-up.ts, run as bin/portolan runs the daemon). Prints: API latency p50/p99 per
// endpoint (sequential keep-alive GETs), time to first render of the page in Debian's Chromium (navigation start
// to 1,000 service rows in the DOM) and live update (registry write -> new row, target 1 s), SSE fan-out to 100 clients (registry write -> last client has the change),
// and the process's RSS (now and peak). Targets (issue 9): p99 <= 10 ms, first render <= 1 s, fan-out <= 200 ms,
// RSS <= 120 MiB.
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { Agent, request } from "node:http";
import { launchChromium } from "../test/integration/catalog-browser.js";

const LISTEN = "127.0.0.1:18790";
const BASE = `http://${LISTEN}`;
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))] ?? NaN;
const f1 = (n: number) => n.toFixed(1);

function status(pid: number): { rss: number; hwm: number } {
  const s = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = (k: string) => Number(new RegExp(`${k}:\\s+(\\d+) kB`).exec(s)?.[1]) / 1024;
  return { rss: kb("VmRSS"), hwm: kb("VmHWM") };
}

const agent = new Agent({ keepAlive: true, maxSockets: 1 });
function get(path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    request(`${BASE}${path}`, { agent }, (res) => {
      let body = "";
      res.setEncoding("utf8").on("data", (d: string) => (body += d)).on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    }).on("error", reject).end();
  });
}

async function waitReady(): Promise<void> {
  for (let i = 0; i < 300; i++) {
    try {
      const r = await get("/v1/services");
      if (r.status === 200 && (JSON.parse(r.body) as { services: unknown[] }).services.length >= 1000) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error("portolan up did not serve 1,000 services within 30 s");
}

async function apiLatency(): Promise<void> {
  const paths: Record<string, () => string> = {
    "/v1/services": () => "/v1/services",
    "/v1/services/NAME": () => `/v1/services/svc${Math.floor(Math.random() * 1000)}`,
    "/v1/instances?service=NAME": () => `/v1/instances?service=svc${Math.floor(Math.random() * 1000)}`,
    "/v1/instances?tag=T&health=passing": () => `/v1/instances?tag=team${Math.floor(Math.random() * 17)}&health=passing`,
    "/v1/prometheus-sd": () => "/v1/prometheus-sd",
  };
  for (const [name, path] of Object.entries(paths)) {
    const times: number[] = [];
    for (let i = 0; i < 400; i++) {
      const t0 = performance.now();
      const r = await get(path());
      times.push(performance.now() - t0);
      if (r.status !== 200) throw new Error(`${name}: HTTP ${r.status}`);
    }
    console.log(`api ${name.padEnd(36)} p50 ${f1(pct(times, 50))} ms  p99 ${f1(pct(times, 99))} ms`);
  }
}

async function pageFigures(write: (line: string) => void): Promise<void> {
  const browser = await launchChromium();
  try {
    const runs: number[] = [];
    for (let i = 0; i < 5; i++) {
      const page = await browser.context.newPage();
      await page.goto(`${BASE}/`, { waitUntil: "commit" });
      await page.waitForFunction(() => document.querySelectorAll("tr.svc").length >= 1000, undefined, { timeout: 30_000, polling: "raf" });
      runs.push(await page.evaluate(() => performance.now()));
      await page.close();
    }
    console.log(`page first render (1,000 services)       median ${f1(pct(runs, 50))} ms  max ${f1(Math.max(...runs))} ms`);
    // Live update: registry write -> the new service's row is in the page's DOM (no reload).
    const page = await browser.context.newPage();
    await page.goto(`${BASE}/`);
    await page.waitForFunction(() => document.querySelectorAll("tr.svc").length >= 1000, undefined, { timeout: 30_000 });
    const lat: number[] = [];
    for (let k = 0; k < 20; k++) {
      const name = `live${k}`;
      const t0 = performance.now();
      write(`add-service ${name}\n`);
      await page.waitForSelector(`tr.svc[data-service="${name}"]`, { state: "attached", timeout: 10_000 });
      lat.push(performance.now() - t0);
    }
    console.log(`page live update, write -> row in the DOM  p50 ${f1(pct(lat, 50))} ms  max ${f1(Math.max(...lat))} ms`);
    await page.close();
  } finally {
    await browser.close();
  }
}

async function fanOut(write: (line: string) => void): Promise<void> {
  const N = 100;
  const got: string[] = new Array<string>(N).fill("");
  const waiters: (() => void)[] = [];
  await Promise.all(Array.from({ length: N }, (_, k) => new Promise<void>((resolve) => {
    request(`${BASE}/v1/events`, { agent: false }, (res) => {
      res.setEncoding("utf8").on("data", (d: string) => {
        got[k] = (got[k]! + d).slice(-8192);
        for (const w of [...waiters]) w();
      });
      resolve();
    }).end();
  })));
  await new Promise((r) => setTimeout(r, 500));
  const lat: number[] = [];
  for (let round = 0; round < 30; round++) {
    const id = `bench:fanout-${round}:1`;
    const t0 = performance.now();
    await new Promise<void>((resolve) => {
      const check = () => {
        if (got.every((t) => t.includes(id))) {
          waiters.splice(waiters.indexOf(check), 1);
          resolve();
        }
      };
      waiters.push(check);
      write(`add ${id}\n`);
    });
    lat.push(performance.now() - t0);
    await new Promise((r) => setTimeout(r, 50));
  }
  console.log(`sse fan-out, write -> last of ${N} clients  p50 ${f1(pct(lat, 50))} ms  p99 ${f1(pct(lat, 99))} ms  max ${f1(Math.max(...lat))} ms`);
}

const up = spawn(process.execPath, ["--max-semi-space-size=1", new URL("./catalog-up.js", import.meta.url).pathname, LISTEN, "1000", "5"], { stdio: ["pipe", "inherit", "inherit"] });
try {
  const t0 = performance.now();
  await waitReady();
  console.log(`portolan up with 1,000 services / 5,000 instances ready in ${f1(performance.now() - t0)} ms; RSS ${f1(status(up.pid!).rss)} MiB`);
  await apiLatency();
  await pageFigures((line) => up.stdin!.write(line));
  await fanOut((line) => up.stdin!.write(line));
  const s = status(up.pid!);
  console.log(`portolan up RSS now ${f1(s.rss)} MiB, peak ${f1(s.hwm)} MiB`);
} finally {
  up.kill("SIGTERM");
  agent.destroy();
}
