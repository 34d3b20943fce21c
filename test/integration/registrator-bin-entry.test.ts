// bin/portolan starts the long-running commands through dist/src/cli/portolan.cjs, whose first line holds every
// signal portolan handles (through main.js, an ES module, its imports loaded first and SIGUSR1 opened Node's
// inspector for ~90 ms after start). Run as installed: bin/portolan, real dockerd, the embedded registry.
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { connect } from "node:net";
import { describe, expect, it } from "vitest";
import { eventually } from "./docker.js";

const BIN = new URL("../../bin/portolan", import.meta.url).pathname;

function inspectorListening(): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: "127.0.0.1", port: 9229 });
    s.once("connect", () => (s.destroy(), resolve(true)));
    s.once("error", () => resolve(false));
  });
}

/** `env`: what bin/portolan sets for the command (absent: must not be set). */
const commands: Array<{ case: string; args: string[]; flags: string[]; env: Record<string, string | undefined> }> = [
  {
    case: "registrator",
    args: ["registrator", "--hostname", "bin-entry", "--log-format", "json", "memory:"],
    flags: ["--max-semi-space-size=1", "--no-opt", "--no-sparkplug"],
    env: { MALLOC_TRIM_THRESHOLD_: "0" },
  },
  {
    case: "up",
    args: ["up", "--dns", "off", "--listen", "127.0.0.1:0", "--hostname", "bin-entry", "--log-format", "json"],
    flags: ["--max-semi-space-size=1"],
    env: { MALLOC_TRIM_THRESHOLD_: undefined },
  },
];

/** The process's environment (/proc/PID/environ). */
function environ(pid: number): Record<string, string> {
  const env: Record<string, string> = {};
  for (const kv of readFileSync(`/proc/${pid}/environ`, "utf8").split("\0").filter(Boolean)) env[kv.slice(0, kv.indexOf("="))] = kv.slice(kv.indexOf("=") + 1);
  return env;
}

describe("bin/portolan for the long-running commands", () => {
  commands.forEach((c, i) => {
    it(`${i}_${c.case}_runs_the_signal_holding_entry_and_ignores_usr1_usr2`, async () => {
      const proc = spawn(BIN, c.args, { stdio: ["ignore", "pipe", "pipe"] });
      let logs = "";
      proc.stdout.setEncoding("utf8").on("data", (d: string) => (logs += d));
      proc.stderr.setEncoding("utf8").on("data", (d: string) => (logs += d));
      const exited = new Promise<number | null>((r) => proc.on("exit", (code) => r(code)));
      try {
        const cmdline = readFileSync(`/proc/${proc.pid}/cmdline`, "utf8").split("\0");
        await eventually("started", () => logs.includes('"starting"'), 20_000);
        const running = readFileSync(`/proc/${proc.pid}/cmdline`, "utf8").split("\0");
        expect(running.some((a) => a.endsWith("/portolan.cjs")), cmdline.join(" ")).toBe(true);
        // The V8 flags and malloc setting bin/portolan gives this command (see its comment).
        expect(running.slice(1, running.findIndex((a) => a.endsWith("/portolan.cjs")))).toEqual(c.flags);
        const env = environ(proc.pid!);
        for (const [k, v] of Object.entries(c.env)) expect(env[k], k).toBe(v);
        proc.kill("SIGUSR1");
        proc.kill("SIGUSR2");
        await new Promise((r) => setTimeout(r, 300));
        expect(await inspectorListening()).toBe(false);
        expect(proc.exitCode).toBeNull();
        proc.kill("SIGTERM");
        expect(await exited).toBe(0);
      } finally {
        if (proc.exitCode === null) proc.kill("SIGKILL");
      }
    });
  });
});
