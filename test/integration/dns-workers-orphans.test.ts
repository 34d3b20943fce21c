// `portolan dns --workers N` whose primary dies without a word (SIGKILL, the OOM killer): its workers must not
// keep serving a catalog nobody updates. Each notices the IPC channel close and exits; the port is free again.
// And a graceful stop with idle TCP clients connected: every worker ends by itself (not by the primary's kill timer).
import { spawn } from "node:child_process";
import { createSocket } from "node:dgram";
import { existsSync, readFileSync } from "node:fs";
import { connect, createServer, type Socket } from "node:net";
import { describe, expect, it } from "vitest";
import { startCli } from "./cli.js";
import { dig } from "./dns-support.js";
import { until } from "../support/until.js";

const PORT = 18679;

function children(pid: number): number[] {
  return readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim().split(/\s+/).filter(Boolean).map(Number);
}

/** A process that has exited but not been reaped yet (its parent is gone: init reaps it) counts as gone. */
function alive(pid: number): boolean {
  if (!existsSync(`/proc/${pid}/stat`)) return false;
  return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
}

function bindable(kind: "udp" | "tcp"): Promise<boolean> {
  return new Promise((resolve) => {
    if (kind === "udp") {
      const s = createSocket("udp4");
      s.once("error", () => resolve(false));
      s.bind(PORT, "127.0.0.1", () => s.close(() => resolve(true)));
      return;
    }
    const s = createServer();
    s.once("error", () => resolve(false));
    s.listen(PORT, "127.0.0.1", () => s.close(() => resolve(true)));
  });
}

describe("dns --workers when the primary is killed", () => {
  const cases = [{ name: "two_workers", workers: 2 }, { name: "four_workers", workers: 4 }];
  for (const [i, c] of cases.entries()) {
    it(`${i}_${c.name}: no worker left, the port free`, async () => {
      const p = startCli(["dns", "--registry", "memory:", "--listen", `127.0.0.1:${PORT}`, "--workers", String(c.workers), "--log-format", "json"]);
      const primary = p.proc.pid!;
      let workers: number[] = [];
      try {
        await until("the listening line", () => p.logs().includes(`(udp+tcp, ${c.workers} workers)`), 20_000);
        workers = children(primary);
        expect(workers).toHaveLength(c.workers);
        expect((await dig(PORT, "nope.service.consul", "A")).status).toBe("NXDOMAIN");
        p.proc.kill("SIGKILL");
        await p.exited;
        await until("every worker gone", () => workers.every((w) => !alive(w)), 20_000, 50);
        await until("the port free (UDP and TCP)", async () => (await bindable("udp")) && (await bindable("tcp")), 20_000, 50);
      } finally {
        p.proc.kill("SIGKILL");
        for (const w of workers) if (alive(w)) process.kill(w, "SIGKILL");
      }
    });
  }
});

const HARNESS = new URL("./dns-workers-harness.mjs", import.meta.url).pathname;

describe("dns workers stopped with TCP clients connected", () => {
  const cases = [{ name: "idle_clients", clients: 5, send: false }, { name: "half_sent_query", clients: 3, send: true }];
  for (const [i, c] of cases.entries()) {
    it(`${i}_${c.name}: every worker exits by itself (code 0, no SIGKILL)`, async () => {
      const p = spawn(process.execPath, [HARNESS], { env: { ...process.env, PORT: String(PORT) }, stdio: ["pipe", "pipe", "inherit"] });
      let out = "";
      p.stdout.setEncoding("utf8").on("data", (d: string) => (out += d));
      const exited = new Promise<number | null>((resolve) => p.on("exit", (code) => resolve(code)));
      const clients: Socket[] = [];
      try {
        await until("the workers to listen", () => out.includes("listening"), 15_000);
        for (let k = 0; k < c.clients; k++) {
          const s = connect(PORT, "127.0.0.1");
          s.on("error", () => {});
          await new Promise((resolve) => s.once("connect", resolve));
          if (c.send) s.write(Buffer.from([0, 40, 1, 2])); // a length prefix and two bytes of a 40-byte query
          clients.push(s);
        }
        p.stdin.end("go\n");
        expect(await exited).toBe(0);
        const exits = JSON.parse(out.trim().split("\n").at(-1)!) as { code: number | null; signal: string | null }[];
        expect(exits).toEqual([{ code: 0, signal: null }, { code: 0, signal: null }]);
      } finally {
        p.stdin.end();
        p.kill("SIGKILL");
        for (const s of clients) s.destroy();
      }
    });
  }
});
