// A stop against a backend that accepts connections and never answers (a TCP port on loopback started here), with
// a container running (real dockerd): the stop's last line is its last line, and with nothing to deregister it ends
// at once instead of waiting for the backend's 10 s operation timeout.
import { afterEach, describe, expect, it } from "vitest";
import { signalAndWait, startBin, startCli, type Running } from "./cli.js";
import { closeSilentPort, silentPort } from "./silent-port.js";
import { eventually, removeTestContainers, startTestContainer } from "./docker.js";

let run: Running | undefined;

afterEach(async () => {
  if (run && run.proc.exitCode === null) run.proc.kill("SIGKILL");
  run = undefined;
  await closeSilentPort();
  await removeTestContainers();
});

function lastLine(logs: string): string {
  const lines = logs.trim().split("\n");
  return (JSON.parse(lines[lines.length - 1]!) as { msg: string }).msg;
}

describe("registrator stop against a silent backend", () => {
  it("0_SIGTERM during the start-up access check: nothing is logged after the stop's line", async () => {
    const { port, connected } = await silentPort();
    run = startCli(["registrator", `consul://127.0.0.1:${port}`, "--hostname", `silent0-${process.pid}`, "--log-format", "json"]);
    await connected;
    await new Promise((r) => setTimeout(r, 700));
    const { code } = await signalAndWait(run, "SIGTERM", 3_000);
    expect(code, run.logs()).toBe(0);
    // The check gives up 2 s after it began: wait past that so a late line would show.
    await new Promise((r) => setTimeout(r, 1_500));
    expect(run.logs()).toContain("stopped before the backend answered");
    expect(lastLine(run.logs()), run.logs()).toBe("stopped before the backend answered");
    expect(run.logs()).not.toContain("could not check the backend's credentials");
  });
});

// Each backend's close fails what is in flight (was: the stop waited for the backend's operation timeout, 10 s).
const BACKENDS = [
  { name: "consul", uri: (port: number) => `consul://127.0.0.1:${port}` },
  { name: "eureka", uri: (port: number) => `eureka://127.0.0.1:${port}/eureka` },
  { name: "etcd", uri: (port: number) => `etcd://127.0.0.1:${port}` },
  { name: "zookeeper", uri: (port: number) => `zk://127.0.0.1:${port}/portolan` },
];

describe.each(BACKENDS)("registrator stop against a silent backend: $name", (b) => {
  it("0_SIGTERM with a backend request in flight and nothing to deregister: exit 0 at once, 'stopped' last", async () => {
    const { port } = await silentPort();
    run = startBin(["registrator", b.uri(port), "--hostname", `silent-${b.name}-${process.pid}`, "--log-format", "json"]);
    // Past the start-up check (2 s): the registrator runs; the new container's registration waits on the backend.
    await eventually("started", () => run!.logs().includes('"msg":"starting"'), 10_000);
    await startTestContainer({ name: `portolan-silent-${b.name}-${process.pid}`, ports: ["80/tcp"] });
    await new Promise((r) => setTimeout(r, 1_000));
    const { code, tookMs } = await signalAndWait(run, "SIGTERM", 12_000);
    expect(code, `exit code (undefined: still running 12 s after SIGTERM); logs: ${run.logs()}`).toBe(0);
    expect(tookMs, run.logs()).toBeLessThan(1_500);
    expect(lastLine(run.logs()), run.logs()).toBe("stopped");
  });
});
