// SIGTERM/SIGINT while the backend has not answered yet (a TCP port that accepts and never answers, started
// here on loopback): the registrator stops at once, as it does later, instead of after the backend's timeout.
import { createServer, type Server, type Socket } from "node:net";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { until } from "../support/until.js";
import { startCli, type Running } from "./cli.js";

let sink: Server | undefined;
const sockets: Socket[] = [];
let proc: Running | undefined;

afterEach(async () => {
  if (proc && proc.proc.exitCode === null) proc.proc.kill("SIGKILL");
  proc = undefined;
  for (const s of sockets.splice(0)) s.destroy();
  await new Promise((r) => (sink ? sink.close(r) : r(undefined)));
  sink = undefined;
});

/** Accepts connections, reads everything, answers nothing. */
async function silentPort(): Promise<{ port: number; connected: Promise<void> }> {
  let connected!: () => void;
  const first = new Promise<void>((r) => (connected = r));
  sink = createServer((s) => {
    sockets.push(s);
    s.on("data", () => {});
    connected();
  });
  await new Promise<void>((r) => sink!.listen(0, "127.0.0.1", r));
  return { port: (sink.address() as AddressInfo).port, connected: first };
}

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
  // The first one's stop waits (up to a second) for the silent backend's connection to close.
  it("0_ends the process at once with 128+signal while the first one's stop still waits", async () => {
    const { port, connected } = await silentPort();
    proc = startCli(["registrator", consul(port), "--log-format", "json", "--hostname", "twice"]);
    await connected;
    await new Promise((r) => setTimeout(r, 300));
    proc.proc.kill("SIGTERM");
    await until("the first stop", () => proc!.logs().includes(EARLY), 2_000);
    const second = Date.now();
    proc.proc.kill("SIGTERM");
    const end = await Promise.race([proc.exited, new Promise<undefined>((r) => setTimeout(r, 2_000))]);
    expect(end, proc.logs()).toBeDefined();
    expect(end!.code).toBe(143);
    expect(Date.now() - second).toBeLessThan(500);
  });
});
