// SIGTERM/SIGINT while the backend has not answered yet (a TCP port that accepts and never answers, started
// here on loopback): the registrator stops at once, as it does later, instead of after the backend's timeout.
import { createServer, type Server, type Socket } from "node:net";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
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

const cases: Array<{ case: string; command: string[]; uri: (port: number) => string; signal: NodeJS.Signals }> = [
  { case: "registrator, consul, SIGTERM", command: ["registrator"], uri: (p) => `consul://127.0.0.1:${p}`, signal: "SIGTERM" },
  { case: "registrator, consul, SIGINT", command: ["registrator"], uri: (p) => `consul://127.0.0.1:${p}`, signal: "SIGINT" },
  { case: "up, consul, SIGTERM", command: ["up", "--dns", "off", "--listen", "127.0.0.1:0", "--registry"], uri: (p) => `consul://127.0.0.1:${p}`, signal: "SIGTERM" },
];

describe("a stop signal before the backend answers", () => {
  cases.forEach((c, i) => {
    it(`${i}_${c.case}: exits 0 within 2 s (was: only after the backend's 10 s timeout)`, async () => {
      const { port, connected } = await silentPort();
      proc = startCli([...c.command, c.uri(port), "--log-format", "json", "--hostname", "early"]);
      await connected;
      await new Promise((r) => setTimeout(r, 300));
      const sent = Date.now();
      proc.proc.kill(c.signal);
      const end = await Promise.race([proc.exited, new Promise<undefined>((r) => setTimeout(r, 2_000))]);
      expect(end, `still running 2 s after ${c.signal}; logs: ${proc.logs()}`).toBeDefined();
      expect(end!.code).toBe(0);
      expect(Date.now() - sent).toBeLessThan(2_000);
      expect(proc.logs()).toContain("stopped before the backend answered");
    });
  });
});
