// `portolan dns --workers N` while its workers start. On an address that is taken (UDP or TCP, held here on
// loopback) it behaves like one process: exit 64, one line naming the address, no stack trace, no worker left.
// Before, each worker printed `internal error: Error: bind EADDRINUSE` with a stack and stayed (its IPC channel held
// it), the primary waited for them for ever and ignored the first SIGTERM. A stop while the workers boot ends them
// at once (it waited for them to listen, then stopped them).
import { createSocket, type Socket as UdpSocket } from "node:dgram";
import { readdirSync, readFileSync } from "node:fs";
import { createServer, type AddressInfo, type Server } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { until } from "../support/until.js";
import { startBin, type Running } from "./cli.js";

let holder: { close(): void } | undefined;
let run: Running | undefined;

afterEach(() => {
  if (run && run.proc.exitCode === null) run.proc.kill("SIGKILL");
  run = undefined;
  holder?.close();
  holder = undefined;
});

async function holdUdp(): Promise<number> {
  const s: UdpSocket = createSocket("udp4");
  await new Promise<void>((r) => s.bind(0, "127.0.0.1", r));
  holder = s;
  return s.address().port;
}

async function holdTcp(): Promise<number> {
  const s: Server = createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  holder = s;
  return (s.address() as AddressInfo).port;
}

/** Pids of processes whose command line holds `needle` (a worker re-runs the primary's argv). */
function processesWith(needle: string): number[] {
  const pids: number[] = [];
  for (const d of readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      if (readFileSync(`/proc/${d}/cmdline`, "utf8").split("\0").includes(needle)) pids.push(Number(d));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

const cases: Array<{ case: string; hold: () => Promise<number>; workers: string }> = [
  { case: "UDP taken, 2 workers", hold: holdUdp, workers: "2" },
  { case: "TCP taken, 2 workers", hold: holdTcp, workers: "2" },
  { case: "UDP taken, 4 workers", hold: holdUdp, workers: "4" },
  { case: "TCP taken, 1 process (the reference)", hold: holdTcp, workers: "1" },
];

describe("dns --workers on a taken address", () => {
  cases.forEach((c, i) => {
    it(`${i}_${c.case}: exit 64, one line naming the address, no process left`, async () => {
      const port = await c.hold();
      const address = `127.0.0.1:${port}`;
      run = startBin(["dns", "--registry", "memory:", "--listen", address, "--workers", c.workers, "--log-format", "json"]);
      const end = await Promise.race([run.exited, new Promise<undefined>((r) => setTimeout(r, 10_000))]);
      expect(end, `still running after 10 s: ${run.logs()}`).toBeDefined();
      expect(end!.code).toBe(64);
      const lines = run.stderr().split("\n").filter((l) => l.trim() !== "");
      expect(lines, run.stderr()).toEqual([`portolan dns: --listen ${address}: cannot listen (EADDRINUSE)`]);
      expect(run.logs()).not.toContain("dns listening");
      expect(processesWith(address), "workers left running").toEqual([]);
    });
  });
});

describe("dns --workers stopped while its workers boot", () => {
  const signals: NodeJS.Signals[] = ["SIGTERM", "SIGINT"];
  signals.forEach((signal, i) => {
    it(`${i}_${signal}: exit 0 within a second, nothing listened, no worker left`, async () => {
      const port = await holdUdp();
      holder?.close(); // a free port, known to this test
      holder = undefined;
      const address = `127.0.0.1:${port}`;
      const preload = new URL("./slow-worker-boot.mjs", import.meta.url).pathname;
      run = startBin(["dns", "--registry", "memory:", "--listen", address, "--workers", "2", "--log-format", "json"], { NODE_OPTIONS: `--import ${preload}` });
      const pid = run.proc.pid!;
      await until("workers forked", () => readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim().split(/\s+/).filter(Boolean).length === 2, 10_000);
      const sent = Date.now();
      run.proc.kill(signal);
      const end = await Promise.race([run.exited, new Promise<undefined>((r) => setTimeout(r, 5_000))]);
      expect(end, `still running after 5 s: ${run.logs()}`).toBeDefined();
      expect(end!.code, run.logs()).toBe(0);
      expect(Date.now() - sent, run.logs()).toBeLessThan(1_000);
      expect(run.logs()).toContain("stopped during start-up");
      expect(run.logs()).not.toContain("dns listening");
      await until("workers gone", () => processesWith(address).length === 0, 2_000);
    });
  });
});
