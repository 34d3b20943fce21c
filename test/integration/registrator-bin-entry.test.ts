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

const commands: Array<{ case: string; args: string[] }> = [
  { case: "registrator", args: ["registrator", "--hostname", "bin-entry", "--log-format", "json", "memory:"] },
  { case: "up", args: ["up", "--dns", "off", "--listen", "127.0.0.1:0", "--hostname", "bin-entry", "--log-format", "json"] },
];

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
        expect(readFileSync(`/proc/${proc.pid}/cmdline`, "utf8").split("\0").some((a) => a.endsWith("/portolan.cjs")), cmdline.join(" ")).toBe(true);
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
