// SIGTERM/SIGINT while the backend has not answered yet (a TCP port that accepts and never answers, started
// here on loopback): the registrator stops at once, as it does later, instead of after the backend's timeout.
import { afterEach, describe, expect, it } from "vitest";
import { until } from "../support/until.js";
import { startCli, type Running } from "./cli.js";
import { closeSilentPort, silentPort } from "./silent-port.js";

let proc: Running | undefined;

afterEach(async () => {
  if (proc && proc.proc.exitCode === null) proc.proc.kill("SIGKILL");
  proc = undefined;
  await closeSilentPort();
});

const EARLY = "stopped before the backend answered";
const DURING = "stopped during start-up";
const consul = (p: number) => `consul://127.0.0.1:${p}`;

// dns and catalog serve were added later: dns ignored the signal until the backend's timeout (10 s), catalog serve
// ended with 143 (no graceful stop before the backend answered).
const cases: Array<{ case: string; command: string[]; uri: (port: number) => string; signal: NodeJS.Signals; says: string }> = [
  { case: "registrator, consul, SIGTERM", command: ["registrator"], uri: consul, signal: "SIGTERM", says: EARLY },
  { case: "registrator, consul, SIGINT", command: ["registrator"], uri: consul, signal: "SIGINT", says: EARLY },
  { case: "up, consul, SIGTERM", command: ["up", "--dns", "off", "--listen", "127.0.0.1:0", "--registry"], uri: consul, signal: "SIGTERM", says: EARLY },
  { case: "dns, consul, SIGTERM", command: ["dns", "--listen", "127.0.0.1:0", "--registry"], uri: consul, signal: "SIGTERM", says: DURING },
  { case: "dns --workers 2, consul, SIGINT", command: ["dns", "--listen", "127.0.0.1:18691", "--workers", "2", "--registry"], uri: consul, signal: "SIGINT", says: DURING },
  { case: "catalog serve, consul, SIGTERM", command: ["catalog", "serve", "--listen", "127.0.0.1:0", "--registry"], uri: consul, signal: "SIGTERM", says: DURING },
];

describe("a stop signal before the backend answers", () => {
  cases.forEach((c, i) => {
    it(`${i}_${c.case}: exits 0 within 2 s (was: only after the backend's 10 s timeout)`, async () => {
      const { port, connected } = await silentPort();
      const hostname = c.command[0] === "dns" || c.command[0] === "catalog" ? [] : ["--hostname", "early"];
      proc = startCli([...c.command, c.uri(port), "--log-format", "json", ...hostname]);
      await connected;
      await new Promise((r) => setTimeout(r, 300));
      const sent = Date.now();
      proc.proc.kill(c.signal);
      const end = await Promise.race([proc.exited, new Promise<undefined>((r) => setTimeout(r, 2_000))]);
      expect(end, `still running 2 s after ${c.signal}; logs: ${proc.logs()}`).toBeDefined();
      expect(end!.code).toBe(0);
      expect(Date.now() - sent).toBeLessThan(2_000);
      expect(proc.logs()).toContain(c.says);
    });
  });
});

describe("a second stop signal", () => {
  // The first one's stop waits (up to --shutdown-timeout) for the silent backend to list what it would deregister.
  // (A stop during start-up, or with nothing to deregister, no longer waits: the backend is closed at once.)
  it("0_ends the process at once with 128+signal while the first one's stop still waits", async () => {
    const { port } = await silentPort();
    proc = startCli(["registrator", consul(port), "--deregister-on-exit", "--shutdown-timeout", "5s", "--log-format", "json", "--hostname", "twice"]);
    await until("started (past the 2 s start-up check)", () => proc!.logs().includes('"msg":"starting"'), 10_000);
    proc.proc.kill("SIGTERM");
    await until("the first stop", () => proc!.logs().includes('"msg":"stopping"'), 2_000);
    await new Promise((r) => setTimeout(r, 200));
    expect(proc.proc.exitCode, proc.logs()).toBeNull();
    const second = Date.now();
    proc.proc.kill("SIGTERM");
    const end = await Promise.race([proc.exited, new Promise<undefined>((r) => setTimeout(r, 2_000))]);
    expect(end, proc.logs()).toBeDefined();
    expect(end!.code).toBe(143);
    expect(Date.now() - second).toBeLessThan(500);
  });
});
