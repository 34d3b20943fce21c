// `portolan up` as a user starts it on a host with a dozen containers: its start-up resync inspects them
// concurrently, and Node printed MaxListenersExceededWarning ("11 abort listeners added to [AbortSignal]") on
// stderr: every inspect hung an abort listener on the registrator's one stop signal. stderr must hold no warning.
import { afterAll, describe, expect, it } from "vitest";
import { startBin, stopCli, type Running } from "./cli.js";
import { eventually, removeTestContainers, startTestContainer } from "./docker.js";

const owner = `upwarn-${process.pid}`;
const CONTAINERS = 14;
let proc: Running | undefined;

afterAll(async () => {
  await stopCli(proc);
  await removeTestContainers();
});

describe("portolan up with a dozen containers", () => {
  it("0_starts, registers them all and stops with no Node warning on stderr", async () => {
    await Promise.all(Array.from({ length: CONTAINERS }, (_, i) => startTestContainer({ name: `${owner}-${i}`, ports: ["80/tcp"], env: { SERVICE_NAME: `${owner}-${i}` } })));
    proc = startBin(["up", "--hostname", owner, "--explicit", "--dns", "127.0.0.1:0", "--listen", "127.0.0.1:0", "--log-format", "json"], { NODE_OPTIONS: "--trace-warnings" });
    const p = proc;
    const registered = () => p.logs().split("\n").filter((l) => l.includes(`"id":"${owner}:`) && l.includes('"msg":"registered"')).length;
    await eventually("every container registered", () => registered() >= CONTAINERS, 60_000, 100);
    p.proc.kill("SIGTERM");
    expect((await p.exited).code).toBe(0);
    expect(p.stderr()).not.toMatch(/Warning/);
  }, 120_000);
});
