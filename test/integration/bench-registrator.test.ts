// `npm run bench:registrator` (dist/bench/registrator.js) as a user runs it: without the test bed it says what is
// missing and what to start (exit 69, no stack trace); with it, a short run goes through every backend (it died on
// an unhandled 'error' from the docker events stream it ended itself, before its ZooKeeper phase).
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { createServer, type AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";

const BENCH = new URL("../../dist/bench/registrator.js", import.meta.url).pathname;

function runBench(args: string[], env: Record<string, string> = {}, timeoutMs = 240_000): Promise<{ code: number | null; out: string }> {
  return runScript(BENCH, args, env, timeoutMs);
}

function runScript(script: string, args: string[], env: Record<string, string> = {}, timeoutMs = 60_000): Promise<{ code: number | null; out: string }> {
  if (!existsSync(script)) throw new Error(`${script} is missing: run \`npm run build\` first`);
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [script, ...args], { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"], timeout: timeoutMs });
    let out = "";
    p.stdout.setEncoding("utf8").on("data", (d: string) => (out += d));
    p.stderr.setEncoding("utf8").on("data", (d: string) => (out += d));
    p.on("close", (code) => resolve({ code, out }));
  });
}

async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const { port } = s.address() as AddressInfo;
  await new Promise((r) => s.close(r));
  return port;
}

const NO_STACK = /^\s+at /m;

describe("bench:registrator", () => {
  it("0_without dockerd: exit 69 naming it and how to start the test bed, no stack trace", async () => {
    const r = await runBench(["--containers", "2"], { DOCKER_HOST: "unix:///nonexistent/docker.sock" }, 60_000);
    expect(r.code, r.out).toBe(69);
    expect(r.out).toContain("dockerd at unix:///nonexistent/docker.sock");
    expect(r.out).toContain("bash scripts/testbed.sh up");
    expect(r.out).not.toMatch(NO_STACK);
  });

  it("1_without Consul and ZooKeeper: exit 69 naming each, no stack trace", async () => {
    const [c, z] = [await closedPort(), await closedPort()];
    const r = await runBench(["--containers", "2", "--consul", `consul://127.0.0.1:${c}`, "--zk", `zk://127.0.0.1:${z}/bench`], {}, 60_000);
    expect(r.code, r.out).toBe(69);
    expect(r.out).toContain(`consul at consul://127.0.0.1:${c}`);
    expect(r.out).toContain(`zk at zk://127.0.0.1:${z}/bench`);
    expect(r.out).toContain("bash scripts/testbed.sh up");
    expect(r.out).not.toMatch(NO_STACK);
  });

  it("3_every bench script: --help lists its flags; an unknown flag or a missing value is one line, exit 64", async () => {
    for (const [script, flag] of [["registrator", "--containers"], ["fleet", "--hosts"], ["dns", "--seconds"], ["watch-cost", "--consul"], ["exec-vs-consul-template", "--consul-template"], ["registrator-bigport", "--ports"]] as const) {
      const path = BENCH.replace(/registrator\.js$/, `${script}.js`);
      const help = await runScript(path, ["--help"]);
      expect(help.code, help.out).toBe(0);
      expect(help.out).toContain(`  ${flag} VALUE`);
      const unknown = await runScript(path, ["--nope"]);
      expect(unknown.code, unknown.out).toBe(64);
      expect(unknown.out).toMatch(/^bench:[a-z-]+: Unknown option '--nope' \(--help lists the flags\)\n$/);
      const missing = await runScript(path, [flag]);
      expect(missing.code, missing.out).toBe(64);
      expect(missing.out).toContain(`${flag} <value>' argument missing`);
      expect(missing.out).not.toMatch(NO_STACK);
    }
  });

  // Its RSS phase is cut to 4 containers and one round (the defaults, 40 and 3, took 60-120 s of a loaded CI run).
  it("2_a short run goes through Consul and then ZooKeeper", async () => {
    const r = await runBench(["--containers", "2", "--rss-containers", "4", "--rss-rounds", "1"]);
    expect(r.code, r.out).toBe(0);
    expect(r.out).toContain("== consul (consul://127.0.0.1:18500), 2 containers");
    expect(r.out).toContain("== zk (zk://127.0.0.1:21810/portolan-bench?format=curator), 2 containers");
    expect(r.out).toMatch(/== zk[^]*storm down: 2 removed/);
    expect(r.out).toContain("-- RSS with 4 running containers");
    expect(r.out).not.toContain("Unhandled 'error' event");
  }, 240_000);
});
