// examples/blue-green run as a user would, against the test bed's Consul and a real HAProxy 2.6: clients loop on
// requests through HAProxy while swap.sh moves the traffic from blue to green, then while a broken release (its
// Docker health check fails) is tried. No request may fail, the traffic must move within a bound, and the broken
// colour must never answer.
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assertBuilt, CLI } from "./cli.js";
import { TESTBED } from "./testbed.js";

const dir = new URL("../../examples/blue-green/", import.meta.url).pathname;
const state = mkdtempSync(join(tmpdir(), "portolan-blue-green-"));
const PORT = 28080;
const env = {
  ...process.env,
  CONSUL: `${TESTBED.consul.host}:${TESTBED.consul.port}`,
  IMAGE: TESTBED.busyboxImage,
  PORTOLAN: `${process.execPath} ${CLI}`,
  PORT: String(PORT),
  STATE: state,
  HOST: `bg-${process.pid}`,
};

/**
 * Runs a script of the example without blocking the worker; resolves with exit code and output. swap.sh's own
 * waits add up to about 130 s; it is stopped at 150 s, inside the tests' 180 s, so its output says where it was.
 */
function script(args: string[], extra: Record<string, string> = {}): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile("bash", args.map((a, i) => (i === 0 ? join(dir, a) : a)), { cwd: state, env: { ...env, ...extra }, encoding: "utf8", timeout: 150_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, out: `${stdout}${stderr}` }),
    );
  });
}

interface Reply {
  at: number;
  body?: string;
  error?: string;
}

/**
 * One GET on a fresh connection (the worst case for a reload: every request is a new connection). Always settles:
 * a response cut after its headers emits no 'end' (it hung a CI run until the test's timeout), so it counts as a
 * failed request, as does one that takes more than 5 s.
 */
function getOnce(): Promise<Reply> {
  return new Promise((resolve) => {
    let settled = false;
    const settle = (r: Omit<Reply, "at">) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ at: Date.now(), ...r });
    };
    const req = request({ host: "127.0.0.1", port: PORT, path: "/", agent: false }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (body += c));
      const done = () => settle(res.statusCode === 200 ? { body: body.trim() } : { error: `HTTP ${res.statusCode}` });
      res.on("end", done);
      res.on("error", (e) => settle({ error: `response: ${e.message}` }));
      // 'close' may come first on a whole answer whose connection closed: only an incomplete one failed.
      res.on("close", () => (res.complete ? done() : settle({ error: "response cut before its end" })));
    });
    const timer = setTimeout(() => {
      settle({ error: "no full answer within 5 s" });
      req.destroy();
    }, 5_000);
    req.on("error", (e) => settle({ error: e.message }));
    req.end();
  });
}

/** `clients` loops of sequential requests until stop() resolves them all. */
function load(clients: number): { stop(): Promise<Reply[]> } {
  let running = true;
  const replies: Reply[] = [];
  const loops = Array.from({ length: clients }, async () => {
    while (running) replies.push(await getOnce());
  });
  return {
    async stop() {
      running = false;
      await Promise.all(loops);
      return replies.sort((a, b) => a.at - b.at);
    },
  };
}

/** The time swap.sh printed for the step whose text contains `step`. */
function stepAt(out: string, step: string): number {
  const line = out.split("\n").find((l) => l.includes(step));
  if (!line) throw new Error(`swap.sh printed no "${step}":\n${out}`);
  return Number(line.split(" ")[0]);
}

describe("examples/blue-green", () => {
  beforeAll(async () => {
    assertBuilt();
    const up = await script(["run.sh", "up"]);
    expect(up, up.out).toMatchObject({ code: 0 });
    expect(up.out).toContain(`up: blue on http://127.0.0.1:${PORT}/`);
  }, 60_000);
  afterAll(async () => {
    await script(["run.sh", "down"]);
    rmSync(state, { recursive: true, force: true });
  }, 60_000);

  it("0_swap blue -> green under load: no failed request, traffic moves within bounds", async () => {
    const clients = load(4);
    const swap = await script(["swap.sh", "green"]);
    await new Promise((r) => setTimeout(r, 1_000)); // keep asking after the swap
    const replies = await clients.stop();
    expect(swap, swap.out).toMatchObject({ code: 0 });
    const failed = replies.filter((r) => r.error !== undefined);
    expect(failed, `${JSON.stringify(failed)}\n${swap.out}`).toEqual([]);
    const healthy = stepAt(swap.out, "green healthy");
    const stopping = stepAt(swap.out, "stopping blue");
    const removed = stepAt(swap.out, "blue out of haproxy.cfg");
    const done = stepAt(swap.out, "done, green serves");
    const firstGreen = replies.find((r) => r.body === "green")?.at ?? Infinity;
    const lastBlue = Math.max(-Infinity, ...replies.filter((r) => r.body === "blue").map((r) => r.at));
    const figures = { requests: replies.length, failed: failed.length, greenAfterHealthyMs: firstGreen - healthy, configWithoutBlueAfterStopMs: removed - stopping, lastBlueAfterStopMs: lastBlue - stopping };
    console.log(`blue-green swap: ${JSON.stringify(figures)}`);
    expect(new Set(replies.map((r) => r.body))).toEqual(new Set(["blue", "green"]));
    expect(figures.greenAfterHealthyMs).toBeLessThanOrEqual(3_000);
    expect(figures.configWithoutBlueAfterStopMs).toBeLessThanOrEqual(3_000);
    expect(lastBlue).toBeLessThan(done);
    expect(replies.filter((r) => r.at > done).every((r) => r.body === "green")).toBe(true);
  }, 180_000);

  it("1_a colour whose health check fails never gets traffic; the serving colour keeps it", async () => {
    const clients = load(4);
    const swap = await script(["swap.sh", "blue"], { BROKEN: "1", HEALTH_TIMEOUT: "8" });
    const replies = await clients.stop();
    expect(swap.code, swap.out).toBe(1);
    expect(swap.out).toMatch(/swap: blue is unhealthy, not healthy within 8s: removed, green keeps the traffic/);
    expect(replies.filter((r) => r.error !== undefined), swap.out).toEqual([]);
    expect(replies.length).toBeGreaterThan(0);
    expect(replies.every((r) => r.body === "green")).toBe(true);
    expect(readFileSync(join(state, "haproxy.cfg"), "utf8")).not.toContain("-blue:80");
  }, 180_000);
});
