// `portolan registrator` as a real process: flags, signals, SIGKILL mid-churn then --cleanup.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import type { Registry } from "../../src/core/registry.js";
import { BACKENDS, open } from "./backends.js";
import { runCli, startCli, type Running } from "./cli.js";
import { eventually, removeTestContainers, startTestContainer } from "./docker.js";

const PERSISTENT = BACKENDS.filter((b) => b.name !== "memory");

describe("portolan registrator (process)", () => {
  it("0_--help documents every flag", () => {
    const r = runCli(["registrator", "--help"]);
    expect(r.code).toBe(0);
    for (const flag of ["--ip", "--internal", "--explicit", "--tags", "--ttl", "--ttl-refresh", "--resync", "--cleanup", "--deregister", "--deregister-on-exit", "--retry-attempts", "--retry-interval", "--hostname", "--network", "--log-format"]) {
      expect(r.stdout).toContain(flag);
    }
  });

  it("2_bin/portolan (the installed command) runs the CLI", () => {
    const bin = new URL("../../bin/portolan", import.meta.url).pathname;
    const out = execFileSync(bin, ["--version"], { encoding: "utf8" });
    expect(out.trim()).toBe(JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")).version);
  });

  it("1_a bad flag value or URI exits 64 (EX_USAGE) naming the flag", () => {
    const bad = runCli(["registrator", "--resync", "soon", "memory:"]);
    expect(bad.code).toBe(64);
    expect(bad.stderr).toContain("--resync");
    const uri = runCli(["registrator", "nats://x"]);
    expect(uri.code).toBe(64);
    expect(uri.stderr).toContain("nats://x");
  });
});

describe.each(PERSISTENT)("portolan registrator process with $name", (backend) => {
  const owner = `cli-${backend.name}-${process.pid}`;
  let proc: Running | undefined;
  let reg: Registry | undefined;

  afterEach(async () => {
    if (proc && proc.proc.exitCode === null) proc.proc.kill("SIGKILL");
    proc = undefined;
    await removeTestContainers();
    if (reg) {
      for (const i of await reg.listOwned(owner)) await reg.deregister(i);
      await reg.close();
      reg = undefined;
    }
  });

  // Only this file's containers: others on the same dockerd are registered too.
  const mine = async () => (await reg!.listOwned(owner)).filter((i) => i.id.startsWith(`${owner}:${owner}-`));
  const start = (...flags: string[]) => startCli(["registrator", "--hostname", owner, "--resync", "2", "--retry-interval", "100", "--log-format", "json", ...flags, backend.uri]);

  it("0_SIGTERM leaves entries; with --deregister-on-exit removes them", async () => {
    reg = await open(backend);
    await startTestContainer({ name: `${owner}-a`, ports: ["80/tcp"], env: { SERVICE_NAME: "cli-a" } });
    proc = start();
    await eventually("registered", async () => (await mine()).length === 1, 20_000);
    proc.proc.kill("SIGTERM");
    const exit = await proc.exited;
    expect(exit, proc.logs()).toEqual({ code: 0, signal: null });
    expect(proc.logs()).toContain('"msg":"stopped"');
    if (backend.name === "consul") expect(await mine()).toHaveLength(1);

    proc = start("--deregister-on-exit");
    await eventually("first reconcile of the new process", () => proc!.logs().includes('"msg":"resync done"'), 20_000);
    expect(await mine()).toHaveLength(1);
    proc.proc.kill("SIGINT");
    expect(await proc.exited, proc.logs()).toEqual({ code: 0, signal: null });
    expect(await mine()).toEqual([]);
  });

  it("1_SIGKILL in the middle of churn, then a restart with --cleanup converges", async () => {
    reg = await open(backend);
    const N = 16;
    const containers = await Promise.all(Array.from({ length: N }, (_, k) => startTestContainer({ name: `${owner}-c${k}`, ports: ["80/tcp"], env: { SERVICE_NAME: `churn${k}` } })));
    proc = start();
    await eventually("all registered", async () => (await mine()).length === N, 30_000);
    // Churn: stop half, start new ones, and kill the registrator while that is happening.
    const churn = Promise.all([
      ...containers.slice(0, N / 2).map((c) => c.remove({ force: true })),
      ...Array.from({ length: N / 2 }, (_, k) => startTestContainer({ name: `${owner}-n${k}`, ports: ["80/tcp"], env: { SERVICE_NAME: `fresh${k}` } })),
    ]);
    await new Promise((r) => setTimeout(r, 150));
    proc.proc.kill("SIGKILL");
    await churn;
    proc = start("--cleanup");
    const want = [...Array.from({ length: N / 2 }, (_, k) => `${owner}:${owner}-c${k + N / 2}:80`), ...Array.from({ length: N / 2 }, (_, k) => `${owner}:${owner}-n${k}:80`)].sort();
    await eventually("converged: nothing dangling, nothing missing", async () => {
      const ids = (await mine()).map((i) => i.id).sort();
      return JSON.stringify(ids) === JSON.stringify(want);
    }, 60_000, 200);
  });
});
