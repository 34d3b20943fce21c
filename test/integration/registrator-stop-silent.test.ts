// A stop against a backend that accepts connections and never answers (a TCP port on loopback started here), with
// a container running (real dockerd): the stop's last line is its last line, and with nothing to deregister it ends
// at once instead of waiting for the backend's 10 s operation timeout.
import { afterEach, describe, expect, it } from "vitest";
import { signalAndWait, startCli, type Running } from "./cli.js";
import { closeSilentPort, silentPort } from "./silent-port.js";
import { removeTestContainers } from "./docker.js";

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

